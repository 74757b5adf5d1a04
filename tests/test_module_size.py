"""Small modules with one idea each: no module of the package is over 300 lines.

A module that grows past the bound holds more than one idea; split it by idea (each
new module with a docstring stating its contract), not by line count.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"
MAX_LINES = 300


def test_no_module_is_over_the_bound() -> None:
    sizes = {
        str(path.relative_to(PACKAGE.parent)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert len(sizes) > 100, "the package's modules were not found"
    too_big = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert not too_big, f"modules over {MAX_LINES} lines: {too_big}"

"""Golden files for the renderers: ``tests/golden/plans/<name>``, compared exactly.

To rewrite them after an intended change of output, run
``MAILCTL_UPDATE_GOLDEN=1 python -m pytest tests/render`` and review the diff by eye:
the golden files are the specification of what people see.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "plans"


def check(name: str, rendered: str) -> None:
    """``rendered`` (plus a final newline, so the files end like text files) must equal
    the golden file byte for byte; with ``MAILCTL_UPDATE_GOLDEN=1`` it becomes the file."""
    path = GOLDEN / name
    expected = (rendered + "\n").encode()
    if os.environ.get("MAILCTL_UPDATE_GOLDEN") == "1":
        path.write_bytes(expected)
    assert path.exists(), f"{path} is missing; run with MAILCTL_UPDATE_GOLDEN=1 to create it"
    assert path.read_bytes().decode() == expected.decode()

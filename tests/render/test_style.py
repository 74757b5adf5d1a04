"""The renderers' own ANSI styling writes what a colour terminal (and click) expects."""

from __future__ import annotations

import click
import pytest

from reconciler.render.style import style


@pytest.mark.parametrize("fg", [None, "red", "green", "yellow"])
@pytest.mark.parametrize("bold", [None, True, False])
def test_style_writes_the_escapes_click_writes(fg: str | None, bold: bool | None) -> None:
    assert style("text", fg=fg, bold=bold) == click.style("text", fg=fg, bold=bold)  # type: ignore[arg-type]


def test_no_style_is_only_the_reset() -> None:
    assert style("plain") == "plain\x1b[0m"

"""ANSI styling of one line of text for a terminal: a colour and bold. Pure.

The renderers are core and import no terminal library; the escapes are the ones a
colour terminal understands (and the ones click writes, so output stays the same).
"""

from __future__ import annotations

from typing import Literal

Colour = Literal["red", "green", "yellow"]

_COLOURS: dict[str, int] = {"red": 31, "green": 32, "yellow": 33}
_RESET = "\x1b[0m"


def style(text: str, fg: Colour | None = None, bold: bool | None = None) -> str:
    """``text`` in colour ``fg`` and/or bold, reset after it."""
    codes = ""
    if fg is not None:
        codes += f"\x1b[{_COLOURS[fg]}m"
    if bold is not None:
        codes += f"\x1b[{1 if bold else 22}m"
    return f"{codes}{text}{_RESET}"

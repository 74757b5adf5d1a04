"""Escaping for GitHub-flavoured Markdown: every value from a plan or a server goes
through :func:`escape` (or :func:`code`, :func:`clipped`) before it reaches a comment."""

from __future__ import annotations

import re

CLIP = 500  # escaped characters of one message or path, by default

# Numeric character references work both in Markdown text and inside HTML blocks such as
# <summary>, where backslash escapes would show literally. `|` must not split a table
# cell, `*~[]$` must not start emphasis, links or math, `\` must not escape our escapes.
_ESCAPES = {c: f"&#{ord(c)};" for c in "&<>|`*~[]$\\"}
# A newline would end a table row or an HTML block; U+FFFD shows that something was there.
_ESCAPES.update({chr(c): "\ufffd" for c in (*range(0x20), 0x7F)})
_TABLE = str.maketrans(_ESCAPES)
# `_` between two letters or digits cannot open or close emphasis (use_static_ip_addresses
# stays readable); any other `_` is escaped.
_LOOSE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def escape(text: str) -> str:
    """``text`` safe to place anywhere in Markdown or HTML text (not in an attribute)."""
    return _LOOSE_UNDERSCORE.sub("&#95;", text.translate(_TABLE))


def code(text: str) -> str:
    """``text`` escaped inside ``<code>``, which also keeps GitHub from linking @mentions."""
    return f"<code>{escape(text)}</code>"


def clipped(text: str, budget: int = CLIP) -> str:
    """``text`` escaped, cut to ``budget`` characters without splitting a reference."""
    escaped = escape(text)
    if len(escaped) <= budget:
        return escaped
    out, used = [], 1  # room for the ellipsis
    for char in text:
        piece = escape(char)
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + "…"

"""Diagnostics as text for people, JSON for tools and GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconciler.errors import Diagnostic, Severity
from reconciler.render.style import style

DIAGNOSTICS_FORMAT_VERSION = 1


def text(items: Sequence[Diagnostic], *, colour: bool = False) -> str:
    lines = []
    for item in items:
        label = str(item.severity)
        if colour:
            label = style(
                label, fg="red" if item.severity is Severity.ERROR else "yellow", bold=True
            )
        lines.append(f"{item.location}: {label}: {item.message}")
        if item.hint:
            lines.append(f"  hint: {item.hint}")
    return "\n".join(lines)


def as_dict(item: Diagnostic) -> dict[str, Any]:
    return {
        "severity": str(item.severity),
        "file": item.location.file,
        "line": item.location.line,
        "column": item.location.column,
        "message": item.message,
        "hint": item.hint,
    }


def as_json(items: Sequence[Diagnostic], **extra: Any) -> str:
    document = {
        "format_version": DIAGNOSTICS_FORMAT_VERSION,
        **extra,
        "diagnostics": [as_dict(i) for i in items],
    }
    return json.dumps(document, indent=2, sort_keys=False)


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(items: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands (``::error file=…,line=…,col=…::…``)."""
    lines = []
    for item in items:
        props = [f"file={escape_property(item.location.file)}"]
        if item.location.line:
            props += [f"line={item.location.line}", f"col={item.location.column}"]
        props.append(f"title={escape_property('mailctl ' + str(item.severity))}")
        message = item.message + (f" (hint: {item.hint})" if item.hint else "")
        lines.append(f"::{item.severity} {','.join(props)}::{escape_data(message)}")
    return "\n".join(lines)

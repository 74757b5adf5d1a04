"""Diagnostics as text for people, JSON for tools and GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from reconciler.errors import Diagnostic, Severity
from reconciler.render.style import style

DIAGNOSTICS_FORMAT_VERSION: Literal[1] = 1


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
    """One diagnostic for tools: what is not known (no file, line, column or hint) is
    ``null``, never 0 or ""."""
    location = item.location
    return {
        "severity": str(item.severity),
        "file": location.file or None,
        "line": location.line or None,
        "column": location.column or None,
        "message": item.message,
        "hint": item.hint or None,
    }


def counts(items: Sequence[Diagnostic]) -> dict[str, int]:
    errors = sum(1 for i in items if i.severity is Severity.ERROR)
    return {"errors": errors, "warnings": len(items) - errors}


def as_json(
    items: Sequence[Diagnostic],
    *,
    ok: bool,
    path: str | None,
    summary: Mapping[str, int] | None = None,
) -> str:
    """The diagnostics document: ``summary`` (what the run counted, if it got that far)
    always with the number of errors and warnings. Its shape on failure is
    :class:`reconciler.render.json_output.Failure`."""
    document = {
        "format_version": DIAGNOSTICS_FORMAT_VERSION,
        "ok": ok,
        "path": path,
        "summary": {**(summary or {}), **counts(items)},
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

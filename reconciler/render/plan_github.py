"""A plan as GitHub Actions workflow commands, so changes show up on the YAML lines.

:func:`render` is a pure function of the plan document, one command per line:

* every change becomes a ``::notice`` — a ``::warning`` when it downgrades security or
  deletes a domain that has connected inboxes — pointing at the domain in the YAML when
  the plan knows where it is written (deletes do not: the domain is no longer there);
* every blocked gate becomes an ``::error`` without a file, naming its override flag.

Properties and messages use the escaping of :mod:`reconciler.render.diagnostics`.
"""

from __future__ import annotations

from reconciler.plan.document import Change, GateVerdict, PlanDocument
from reconciler.render import plan_text
from reconciler.render.diagnostics import escape_data, escape_property


def render(plan: PlanDocument) -> str:
    """The workflow commands, one per line; empty when there is nothing to annotate."""
    lines = [_change(change) for change in plan.changes]
    lines += [_gate(verdict) for verdict in plan.gates if not verdict.passed]
    return "\n".join(lines)


def _change(change: Change) -> str:
    notes = plan_text.notes(change)
    level = "warning" if any(note.warning for note in notes) else "notice"
    props = []
    if change.source:
        props.append(f"file={escape_property(change.source.file)}")
        if change.source.line:
            props += [f"line={change.source.line}", f"col={change.source.column}"]
    props.append(f"title={escape_property(f'mailctl: {change.action} {change.domain}')}")
    message = "; ".join([_what(change), *(note.text for note in notes)])
    return f"::{level} {','.join(props)}::{escape_data(message)}"


def _what(change: Change) -> str:
    if change.action == "update":
        return ", ".join(plan_text.field_change(field, " ") for field in change.fields)
    if change.action == "create" and change.after:
        return ", ".join(f"{key}: {value}" for key, value in plan_text.settings(change.after))
    return "domain deleted"


def _gate(verdict: GateVerdict) -> str:
    override = f" (override: {verdict.override})" if verdict.override else ""
    title = escape_property(f"mailctl gate {verdict.gate}")
    return f"::error title={title}::{escape_data(verdict.message + override)}"

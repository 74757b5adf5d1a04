"""A plan as GitHub Actions workflow commands, so changes show up on the YAML lines.

:func:`render` is a pure function of the plan document, one command per line:

* every blocked gate becomes an ``::error`` without a file, naming its override flag;
* every failed live check becomes an ``::error`` on the YAML line of each domain it
  proves wrong (without a file when no such domain's place is known), and every check
  warning a ``::warning`` the same way;
* every change becomes a ``::notice`` — a ``::warning`` when it downgrades security or
  deletes a domain that has connected inboxes — pointing at the domain in the YAML when
  the plan knows where it is written (deletes do not: the domain is no longer there);
* the decisions the plan was made with (``plan.decisions``) make one ``::notice`` (a
  ``::warning`` when a gate is lifted);
* connection-range changes and the domains whose allowlist files change make one
  ``::notice`` (ranges counted, at most :data:`ANNOTATIONS` domains named).

GitHub shows only the first :data:`ANNOTATIONS` errors and as many warnings of a step,
so the gates and checks come first; check annotations beyond that are not written, and
one ``::notice`` says how many were left out.

Properties and messages use the escaping of :mod:`reconciler.render.diagnostics`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice

from reconciler.plan.document import Change, CheckedEndpoint, GateVerdict, PlanDocument
from reconciler.plan.document import SourceLocation as Place
from reconciler.plan.evidence import CheckResult
from reconciler.render import plan_checks, wording
from reconciler.render.diagnostics import escape_data, escape_property

ANNOTATIONS = 10  # errors GitHub shows per step; warnings too


def render(plan: PlanDocument) -> str:
    """The workflow commands, one per line; empty when there is nothing to annotate."""
    lines = [_gate(verdict) for verdict in plan.gates if not verdict.passed]
    places = {change.domain: change.source for change in plan.changes if change.source}
    failed = _checks("error", "failed", plan.checks.failed(), places, _failure)
    warned = _checks("warning", "warning", plan.checks.endpoints, places, _warnings)
    more = {}
    # Gate errors count against the errors GitHub shows; at most ANNOTATIONS lines of a
    # kind are rendered, the rest only counted (linear, whatever the number of domains).
    for kind, found, room in (
        ("check errors", failed, ANNOTATIONS - len(lines)),
        ("check warnings", warned, ANNOTATIONS),
    ):
        lines += islice(found, max(room, 0))
        more[kind] = sum(1 for _ in found)
    if any(more.values()):
        lines.append(_more(more))
    if plan.decisions:
        lines.append(_decisions(plan))
    lines += [_change(change) for change in plan.changes]
    if plan.allowlist or plan.ranges.added or plan.ranges.removed:
        lines.append(_allowlist(plan))
    return "\n".join(lines)


def _allowlist(plan: PlanDocument) -> str:
    """One notice: the connection-range changes and whose allowlist files change."""
    parts = [f"connection ranges +{len(plan.ranges.added)} -{len(plan.ranges.removed)}"]
    entries = [f"{symbol}{name}" for symbol, name, _ in wording.allowlist_entries(plan.allowlist)]
    if entries:
        shown = ", ".join(entries[:ANNOTATIONS])
        rest = f" and {len(entries) - ANNOTATIONS} more" if len(entries) > ANNOTATIONS else ""
        parts.append(f"allowlist files {wording.allowlist_totals(plan.allowlist)}: {shown}{rest}")
    title = escape_property("mailctl allowlists")
    return f"::notice title={title}::{escape_data('; '.join(parts))}"


def _decisions(plan: PlanDocument) -> str:
    """One notice: the decisions apply honours (a warning when a gate is lifted)."""
    level = "warning" if plan.decisions.lifted else "notice"
    title = escape_property("mailctl plan decisions")
    message = f"{wording.DECISIONS} {'; '.join(wording.decision_lines(plan.decisions))}"
    return f"::{level} title={title}::{escape_data(message)}"


def _props(source: Place | None, title: str) -> str:
    props = []
    if source:
        props.append(f"file={escape_property(source.file)}")
        if source.line:
            props += [f"line={source.line}", f"col={source.column}"]
    props.append(f"title={escape_property(title)}")
    return ",".join(props)


def _change(change: Change) -> str:
    notes = wording.notes(change)
    level = "warning" if any(note.warning for note in notes) else "notice"
    props = _props(change.source, f"mailctl: {change.action} {change.domain}")
    message = "; ".join([_what(change), *(note.text for note in notes)])
    return f"::{level} {props}::{escape_data(message)}"


def _what(change: Change) -> str:
    if change.action == "update":
        return ", ".join(wording.field_change(field, " ") for field in change.fields)
    if change.action == "create" and change.after:
        return ", ".join(f"{key}: {value}" for key, value in wording.settings(change.after))
    return "domain deleted"


def _gate(verdict: GateVerdict) -> str:
    override = f" (override: {verdict.override})" if verdict.override else ""
    title = escape_property(f"mailctl gate {verdict.gate}")
    return f"::error title={title}::{escape_data(verdict.message + override)}"


def _failure(result: CheckResult) -> list[str]:
    """``smtp mail.example.net:587 starttls failed at starttls: STARTTLS refused: …``"""
    return [f"{plan_checks.label(result.target)} {plan_checks.outcome(result)}"]


def _warnings(result: CheckResult) -> list[str]:
    """``smtp mail.example.net:587 starttls: certificate expires in 12 days, …``"""
    label = plan_checks.label(result.target)
    return [f"{label}: {warning}" for warning in plan_checks.warnings(result)]


def _checks(
    level: str,
    what: str,
    endpoints: Iterable[CheckedEndpoint],
    places: Mapping[str, Place],
    sentences: Callable[[CheckResult], list[str]],
) -> Iterator[str]:
    """An annotation per sentence about an endpoint, on the line of each domain it
    proves; one without a file naming them all when none of their places is known."""
    for checked in endpoints:
        title = f"mailctl check {what}: {plan_checks.where(checked.result.target)}"
        located = [(domain, places[domain]) for domain in checked.domains if domain in places]
        for sentence in sentences(checked.result):
            if not located:
                text = f"live check {what}: {sentence} (domains: {', '.join(checked.domains)})"
                yield f"::{level} {_props(None, title)}::{escape_data(text)}"
            for domain, place in located:
                text = f"live check {what} for {domain}: {sentence}"
                yield f"::{level} {_props(place, title)}::{escape_data(text)}"


def _more(more: dict[str, int]) -> str:
    counted = " and ".join(f"{n:,} more {kind}" for kind, n in more.items() if n)
    message = (
        f"{counted} not annotated (GitHub shows {ANNOTATIONS} errors and {ANNOTATIONS} "
        "warnings per step); the plan lists every check"
    )
    return f"::notice title={escape_property('mailctl checks')}::{escape_data(message)}"

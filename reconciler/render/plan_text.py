"""A plan as text for a terminal: Terraform-like ``+ create``, ``~ update``, ``- delete``.

:func:`render` is a pure function of the plan document: no I/O and no clock. The plan's
``created_at`` is deliberately not shown, so equal plans render to identical text.

The phrasing helpers here (:func:`settings`, :func:`notes`, :func:`format_value` …) are
public because the Markdown and GitHub renderers use them too: all three outputs describe
a change in the same words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import click

from reconciler.desired.model import Domain, Endpoint
from reconciler.plan.document import (
    AllowlistDelta,
    Change,
    Checks,
    DriftItem,
    FeedRead,
    FieldChange,
    GateVerdict,
    PlanDocument,
    SourceLocation,
)
from reconciler.plan.evidence import CheckTarget
from reconciler.render import plan_checks

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}
_COLOURS = {"create": "green", "update": "yellow", "delete": "red"}
_SYMBOL_COLOURS = {"+": "green", "~": "yellow", "-": "red"}
_CHECK_COLOURS = {"passed": "green", "failed": "red", "skipped": "yellow"}
_INDENT = "    "

# Cleans a line and, when colour is on, styles it (click.style keyword arguments).
_Out = Callable[..., str]

# Control characters (C0, DEL, C1) from a stored value could move the cursor or recolour
# a terminal; they are shown as \xNN instead. Newline and tab are included: every line
# of the output is built by this module, never taken whole from the plan.
_CONTROLS = str.maketrans(
    {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))},
)


@dataclass(frozen=True, slots=True)
class Note:
    """One thing a reviewer should know about a change; ``warning`` ones need a second look."""

    text: str
    warning: bool = False


def plural(count: int, singular: str, plural_form: str) -> str:
    return f"{count} {singular if count == 1 else plural_form}"


def short_pin(pin: str) -> str:
    """``AB:CD:…:EF``: enough to recognise a certificate pin, short enough to read."""
    pairs = pin.split(":")
    return f"{pairs[0]}:{pairs[1]}:…:{pairs[-1]}" if len(pairs) > 3 else pin


def format_value(field: str, value: Any) -> str:
    """A field's value as the YAML would spell it; a pin shortened; ``None`` as ``(none)``."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if field == "certificate_sha256":
        return short_pin(str(value))
    return str(value)


def field_change(change: FieldChange, separator: str = ": ") -> str:
    """``imap.port: 993 -> 995`` (or with another separator after the field name)."""
    before = format_value(change.field, change.before)
    after = format_value(change.field, change.after)
    return f"{change.field}{separator}{before} -> {after}"


def endpoint(value: Endpoint) -> str:
    """``host:port security``; an IPv6 literal is bracketed so its port stays readable."""
    return f"{plan_checks.host_port(value.host, value.port)} {value.security}"


def settings(domain: Domain) -> list[tuple[str, str]]:
    """What a domain holds, as (YAML key, value): both endpoints, the flags that are on,
    the pin shortened, and credential variable *names* (a plan never holds secrets)."""
    rows = [("imap", endpoint(domain.imap)), ("smtp", endpoint(domain.smtp))]
    if domain.allow_non_secure_certificate:
        rows.append(("allow_non_secure_certificate", "true"))
    if domain.certificate_sha256:
        rows.append(("certificate_sha256", short_pin(domain.certificate_sha256)))
    if domain.use_static_ip_addresses:
        rows.append(("use_static_ip_addresses", "true"))
    if domain.credentials:
        creds = domain.credentials
        rows.append(
            ("credentials", f"username_env {creds.username_env}, password_env {creds.password_env}")
        )
    return rows


def notes(change: Change) -> list[Note]:
    """The change's classification in words: downgrades, static-IP toggle, inboxes."""
    found = [
        Note(f"security downgrade: {d}", warning=True) for d in change.classification.downgrades
    ]
    if change.classification.static_ip_toggle:
        found.append(Note(f"static IP addresses turned {change.classification.static_ip_toggle}"))
    inboxes = change.classification.inboxes_affected
    if inboxes and change.action == "delete":
        lose = "connected inbox loses its" if inboxes == 1 else "connected inboxes lose their"
        found.append(Note(f"{inboxes} {lose} settings", warning=True))
    elif inboxes:
        inherit = "inbox inherits" if inboxes == 1 else "inboxes inherit"
        found.append(Note(f"{inboxes} {inherit} this change"))
    return found


def place(source: SourceLocation) -> str:
    """``file:line:column``, or just ``file`` when the line is unknown (0)."""
    return f"{source.file}:{source.line}:{source.column}" if source.line else source.file


def origin(plan: PlanDocument) -> str:
    """Where the plan came from and which store revision it was made against."""
    store = f"store serial {plan.store.serial}" if plan.store.exists else "a new store"
    if plan.source.kind == "rollback":
        return f"Rollback to serial {plan.source.rollback_to}, planned against {store}."
    path = plan.source.path or ", ".join(plan.source.files) or "the desired state"
    return f"Planned from {path} against {store}."


def totals(plan: PlanDocument) -> str:
    """``1 to create, 2 to update, 0 to delete, 1 range change``."""
    s = plan.summary
    ranges = plural(s.ranges_added + s.ranges_removed, "range change", "range changes")
    return f"{s.create} to create, {s.update} to update, {s.delete} to delete, {ranges}"


# Long lists (thousands of ranges on a feed's first plan) are cut here; the JSON plan
# always lists every one.
LIST_LIMIT = 100


def capped(items: tuple[str, ...], limit: int = LIST_LIMIT) -> tuple[tuple[str, ...], int]:
    """The first ``limit`` items and how many were left out."""
    return items[:limit], max(0, len(items) - limit)


def more(left_out: int) -> str:
    return f"… and {left_out:,} more (the JSON plan lists every one)"


def feed_text(feed: FeedRead) -> str:
    """``aws feed https://…: 1,234 ranges (services EC2; sha256 0f1e2d3c4b5a…)``."""
    filters = "; ".join(f"{key} {', '.join(values)}" for key, values in feed.filters.items())
    detail = f"{filters}; " if filters else ""
    return (
        f"{feed.format} feed {feed.source}: {plural(feed.ranges, 'range', 'ranges')} "
        f"({detail}sha256 {feed.sha256[:12]}…)"
    )


def allowlist_totals(delta: AllowlistDelta) -> str:
    """``2 added, 5 changed, 1 removed``."""
    return f"{len(delta.added)} added, {len(delta.changed)} changed, {len(delta.removed)} removed"


def allowlist_entries(delta: AllowlistDelta) -> Iterator[tuple[str, str, str]]:
    """(symbol, domain, why) for every domain whose allowlist files change."""
    why = "connection ranges change" if delta.sources_changed else "mail hosts or ports change"
    yield from (("+", name, "starts using static IPs") for name in delta.added)
    yield from (("~", name, why) for name in delta.changed)
    yield from (("-", name, "files removed") for name in delta.removed)


def drift_text(item: DriftItem) -> str:
    """``changed outside mailctl: smtp.port 587 -> 25`` / ``added outside mailctl``."""
    text = f"{item.kind} outside mailctl"
    if item.fields:
        text += ": " + ", ".join(field_change(f, " ") for f in item.fields)
    return text


def blocked_text(verdict: GateVerdict) -> str:
    """``blocked by <gate>: <message>; to apply anyway: <flag>`` (no flag: no override)."""
    text = f"blocked by {verdict.gate}: {verdict.message}"
    return f"{text}; to apply anyway: {verdict.override}" if verdict.override else text


def shows_gates(plan: PlanDocument) -> bool:
    """Gates are worth showing when there is something to change or something blocked;
    with nothing to change every gate passes, and listing them would be noise."""
    return bool(plan.gates) and (plan.has_changes() or any(not v.passed for v in plan.gates))


def checks_summary(checks: Checks) -> str | None:
    """``12 endpoints, 11 passed, 1 failed`` or ``skipped (--no-checks)``, with the
    checks' detail in brackets; ``None`` when no check was run and none is recorded."""
    if checks.endpoints:
        verdicts = Counter[str](e.result.verdict for e in checks.endpoints)
        shown = ("passed", "failed", "refused") if verdicts["refused"] else ("passed", "failed")
        counted = [f"{verdicts[v]} {v}" for v in shown]
        text = ", ".join([plural(len(checks.endpoints), "endpoint", "endpoints"), *counted])
    elif checks.status == "not_run":
        return None
    else:
        text = checks.status
    return f"{text} ({checks.detail})" if checks.detail else text


def check_failed(target: CheckTarget) -> str:
    """``live check failed: smtp mail.example.net:587``, said under each affected change."""
    return f"live check failed: {plan_checks.where(target)}"


def render(plan: PlanDocument, *, colour: bool) -> str:
    """The plan for a person at a terminal. Without ``colour`` the text holds no ANSI
    escape at all; with it, creates are green, updates yellow, deletes and blocks red."""
    return "\n".join(_lines(plan, colour))


def _lines(plan: PlanDocument, colour: bool) -> Iterator[str]:
    def out(text: str, **style: Any) -> str:
        text = text.translate(_CONTROLS)
        return click.style(text, **style) if colour and style else text

    yield out(origin(plan))
    failed = plan_checks.failed_by_domain(plan.checks)
    for change in plan.changes:
        yield ""
        yield from _change(change, out, failed.get(change.domain, []))
    if plan.ranges.added or plan.ranges.removed:
        yield ""
        yield out("Connection ranges:")
        for symbol, ranges in (("+", plan.ranges.added), ("-", plan.ranges.removed)):
            shown, left_out = capped(ranges)
            fg = _SYMBOL_COLOURS[symbol]
            yield from (out(f"{_INDENT}{symbol} {r}", fg=fg) for r in shown)
            if left_out:
                yield out(f"{_INDENT}{more(left_out)}")
    if plan.source.feeds:
        yield ""
        yield out("Feeds read:")
        yield from (out(f"{_INDENT}{feed_text(f)}") for f in plan.source.feeds)
    if plan.allowlist:
        yield ""
        yield out(f"Allowlist files ({allowlist_totals(plan.allowlist)}):")
        entries = list(allowlist_entries(plan.allowlist))
        for symbol, name, why in entries[:LIST_LIMIT]:
            yield out(f"{_INDENT}{symbol} {name}: {why}", fg=_SYMBOL_COLOURS[symbol])
        if len(entries) > LIST_LIMIT:
            yield out(f"{_INDENT}{more(len(entries) - LIST_LIMIT)}")
    if plan.drift:
        yield ""
        yield out("Drift (the store was changed outside mailctl since the last apply):")
        yield from (out(f"{_INDENT}{d.domain}: {drift_text(d)}") for d in plan.drift)
    if shows_gates(plan):
        yield ""
        yield out("Gates:")
        blocked = (v for v in plan.gates if not v.passed)
        yield from (out(_INDENT + blocked_text(v), fg="red", bold=True) for v in blocked)
        lifted = [v for v in plan.gates if v.overridden]
        yield from (out(f"{_INDENT}overridden: {v.gate}: {v.message}", fg="yellow") for v in lifted)
        passed = [v.gate for v in plan.gates if v.passed and not v.overridden]
        if passed:
            yield out(f"{_INDENT}passed: {', '.join(passed)}")
    yield from _checks(plan.checks, out)
    yield ""
    if plan.has_changes():
        yield out(f"Plan: {totals(plan)}.", bold=True)
    elif plan.source.kind == "rollback":
        yield out(
            f"No changes. The store already matches serial {plan.source.rollback_to}.", bold=True
        )
    else:
        yield out("No changes. The store matches the desired state.", bold=True)


def _change(change: Change, out: _Out, failed: list[CheckTarget]) -> Iterator[str]:
    header = f"{SYMBOLS[change.action]} {change.action} {change.domain}"
    if change.source:
        header += f" ({place(change.source)})"
    yield out(header, fg=_COLOURS[change.action], bold=True)
    if change.action == "update":
        rows = [field_change(f) for f in change.fields]
    else:
        shown = change.after if change.action == "create" else change.before
        rows = [f"{key}: {value}" for key, value in settings(shown)] if shown else []
    yield from (out(_INDENT + row) for row in rows)
    for note in notes(change):
        if note.warning:
            yield out(f"{_INDENT}! {note.text}", fg="red")
        else:
            yield out(_INDENT + note.text)
    yield from (out(f"{_INDENT}✗ {check_failed(target)}", fg="red") for target in failed)


def _checks(checks: Checks, out: _Out) -> Iterator[str]:
    summary = checks_summary(checks)
    if summary is None:
        return
    yield ""
    colour = _CHECK_COLOURS.get(checks.status)
    yield out(f"Checks: {summary}", **({"fg": colour} if colour else {}))
    for checked in checks.endpoints:
        result = checked.result
        line = f"{_INDENT}{plan_checks.MARKS[result.verdict]} {plan_checks.label(result.target)}"
        line += f" — {plan_checks.outcome(result)}"
        if result.passed:
            yield out(f"{line}, {plural(len(checked.domains), 'domain', 'domains')}", fg="green")
        else:
            yield out(line, fg="red")
        yield from (out(f"{_INDENT * 2}! {w}", fg="yellow") for w in plan_checks.warnings(result))

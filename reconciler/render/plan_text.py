"""A plan as text for a terminal: Terraform-like ``+ create``, ``~ update``, ``- delete``.

:func:`render` is a pure function of the plan document: no I/O and no clock. The plan's
``created_at`` is deliberately not shown, so equal plans render to identical text.

The phrases it shares with the Markdown and GitHub renderers (how a change, a gate or
the checks are described) are in :mod:`reconciler.render.wording`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from reconciler.plan.document import (
    Change,
    Checks,
    PlanDocument,
)
from reconciler.plan.evidence import CheckTarget
from reconciler.render import plan_checks
from reconciler.render.style import style
from reconciler.render.wording import (
    DECISIONS,
    SYMBOLS,
    allowlist_entries,
    allowlist_totals,
    blocked_text,
    check_failed,
    checks_summary,
    decision_lines,
    drift_text,
    feed_text,
    field_change,
    notes,
    origin,
    place,
    plural,
    settings,
    shows_gates,
    store_matches,
    totals,
)

_COLOURS = {"create": "green", "update": "yellow", "delete": "red"}
_SYMBOL_COLOURS = {"+": "green", "~": "yellow", "-": "red"}
_CHECK_COLOURS = {"passed": "green", "failed": "red", "skipped": "yellow"}
_INDENT = "    "

# Cleans a line and, when colour is on, styles it (reconciler.render.style keywords).
_Out = Callable[..., str]

# Control characters (C0, DEL, C1) from a stored value could move the cursor or recolour
# a terminal; they are shown as \xNN instead. Newline and tab are included: every line
# of the output is built by this module, never taken whole from the plan.
_CONTROLS = str.maketrans(
    {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))},
)


LIST_LIMIT = 100


def capped(items: tuple[str, ...], limit: int = LIST_LIMIT) -> tuple[tuple[str, ...], int]:
    """The first ``limit`` items and how many were left out."""
    return items[:limit], max(0, len(items) - limit)


def more(left_out: int) -> str:
    return f"… and {left_out:,} more (the JSON plan lists every one)"


def render(plan: PlanDocument, *, colour: bool) -> str:
    """The plan for a person at a terminal. Without ``colour`` the text holds no ANSI
    escape at all; with it, creates are green, updates yellow, deletes and blocks red."""
    return "\n".join(_lines(plan, colour))


def _lines(plan: PlanDocument, colour: bool) -> Iterator[str]:
    def out(text: str, **styling: Any) -> str:
        text = text.translate(_CONTROLS)
        return style(text, **styling) if colour and styling else text

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
        unjudged = [v for v in plan.gates if not v.judged]
        yield from (out(f"{_INDENT}{v.gate}: {v.message}") for v in unjudged)
        passed = [v.gate for v in plan.gates if v.passed and v.judged and not v.overridden]
        if passed:
            yield out(f"{_INDENT}passed: {', '.join(passed)}")
    if plan.decisions:
        yield ""
        yield out(DECISIONS, fg="yellow")
        yield from (out(f"{_INDENT}{line}") for line in decision_lines(plan.decisions))
    yield from _checks(plan.checks, out)
    yield ""
    if plan.has_changes():
        yield out(f"Plan: {totals(plan)}.", bold=True)
    elif plan.source.kind == "rollback":
        yield out(
            f"No changes. The store already matches serial {plan.source.rollback_to}.", bold=True
        )
    else:
        yield out(f"No changes. {store_matches(plan)}", bold=True)
    if plan.has_changes() and plan.source.kind == "rollback" and plan.source.rollback_to:
        yield from (out(line, fg="yellow") for line in git_must_follow(plan.source.rollback_to))


def git_must_follow(serial: int) -> tuple[str, ...]:
    """What a rollback plan says about Git: the domains file still holds what the
    rollback undoes, and the next plan from it would undo the rollback."""
    return (
        "",
        "Git must follow: this rollback changes the store, not your domains file, so the",
        "next mailctl plan of that file would undo it. After applying, run",
        f"  mailctl export --serial {serial} --out domains.yaml",
        "(add --force if mailctl did not write that file) and commit it as a revert.",
    )


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

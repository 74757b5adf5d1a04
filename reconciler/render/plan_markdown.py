"""A plan as ONE GitHub pull-request comment: summary table, gates, collapsible details.

:func:`render` is a pure function of the plan document. Its contract:

* the first line is :data:`MARKER`, so CI can find and update its sticky comment;
* the result is at most ``limit`` characters (``len(str)``; GitHub refuses comments over
  65,536). The header, summary table, gates and the checks' summary are always kept;
  failed checks, check warnings, per-domain details, range changes and drift entries
  follow in order while they fit, and a note says how many were left out and where the
  full plan is. The list of every checked endpoint goes with the failed checks but is
  the first thing dropped: it is shown only when everything else fits too;
* every string that comes from the plan's data (domains, hosts, messages, paths, values)
  is escaped, so no value can inject HTML, break a table or start Markdown formatting.

Long plans (many thousand changes) render in linear time: parts are built lazily and
added while a running length stays within the budget; nothing is rendered twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from reconciler.plan.document import Change, GateVerdict, PlanDocument
from reconciler.plan.evidence import CheckTarget
from reconciler.render import plan_checks, plan_markdown_checks, wording
from reconciler.render.markdown import clipped, code, escape

MARKER = "<!-- mailctl-plan -->"
GITHUB_COMMENT_LIMIT = 65_536
# The header is always kept. Its data-driven pieces (messages, paths) are clipped, so for
# the handful of gates mailctl evaluates it stays far below this.
MIN_LIMIT = 8_192

_KINDS = (
    "failed checks",
    "check warnings",
    "changes",
    "range changes",
    "allowlist entries",
    "drift entries",
)
_CHECK_MARKS = {"passed": "✅", "failed": "⛔", "skipped": "⚠️", "not_run": ""}


def render(
    plan: PlanDocument,
    *,
    json_hint: str = "the JSON plan artifact",
    limit: int = GITHUB_COMMENT_LIMIT,
) -> str:
    """The comment body. ``json_hint`` is trusted Markdown (it may be a link) naming where
    the full plan is. Raises ``ValueError`` if ``limit`` is below :data:`MIN_LIMIT`."""
    if limit < MIN_LIMIT:
        raise ValueError(f"a plan comment needs at least {MIN_LIMIT:,} characters, not {limit:,}")
    head = _head(plan)
    failed = plan.checks.failed()
    sections = {
        "failed checks": plan_markdown_checks.failed(failed),
        "check warnings": plan_markdown_checks.warnings(plan.checks),
        "changes": _changes(plan.changes, plan_checks.failed_by_domain(plan.checks)),
        "range changes": _ranges(plan),
        "allowlist entries": _allowlist(plan),
        "drift entries": _drift(plan),
    }
    counts = {
        "failed checks": len(failed),
        "check warnings": sum(len(e.result.warnings) for e in plan.checks.endpoints),
        "changes": len(plan.changes),
        "range changes": len(plan.ranges.added) + len(plan.ranges.removed),
        "allowlist entries": sum(1 for _ in wording.allowlist_entries(plan.allowlist)),
        "drift entries": len(plan.drift),
    }
    # Every checked endpoint, in one part: the first thing dropped, so it is added last.
    listing = plan_markdown_checks.listing(plan.checks.endpoints)
    listed = len(plan.checks.endpoints)
    # The widest note possible (every kind, every item left out) is reserved up front.
    reserve = len(_note(counts, listed, json_hint, limit))
    parts, used = [head], len(head)
    shown = dict.fromkeys(_KINDS, 0)
    cut: tuple[int, dict[str, int]] | None = None  # where to stop if a note is needed
    at = len(parts)  # where the listing goes: after the failed checks and warnings
    for kind, items in sections.items():
        if kind == "changes":
            at = len(parts)
        for item in items:
            if cut is None and used + len(item) > limit - reserve:
                cut = (len(parts), dict(shown))
            if used + len(item) > limit:
                # The reserve is positive, so the cut was found at this item or before.
                kept, shown_at_cut = cut or (len(parts), shown)
                omitted = {k: counts[k] - shown_at_cut[k] for k in _KINDS}
                return "".join(parts[:kept]) + _note(omitted, listed, json_hint, limit)
            parts.append(item)
            used += len(item)
            shown[kind] += 1
    if used + len(listing) <= limit:
        parts.insert(at, listing)
        return "".join(parts)
    # Everything but the listing fits. A note must say it was left out; if the note does
    # not fit either, the reserve was crossed, so there is a cut to go back to.
    omitted = dict.fromkeys(_KINDS, 0)
    if used + len(_note(omitted, listed, json_hint, limit)) > limit and cut is not None:
        kept, shown_at_cut = cut
        omitted = {k: counts[k] - shown_at_cut[k] for k in _KINDS}
        parts = parts[:kept]
    return "".join(parts) + _note(omitted, listed, json_hint, limit)


def _note(omitted: dict[str, int], listed: int, json_hint: str, limit: int) -> str:
    """What was left out: ``omitted`` items of each kind and, when ``listed`` is not 0,
    the list of that many checked endpoints."""
    counted = [f"{n:,} more {kind}" for kind, n in omitted.items() if n]
    if listed:
        counted.append(
            f"the list of all {listed:,} checked endpoints"
            if listed > 1
            else "the list of the checked endpoint"
        )
    if not counted:
        return ""
    what = ", ".join(counted[:-1]) + " and " + counted[-1] if len(counted) > 1 else counted[0]
    return (
        f"\n\n---\n\n… {what} not shown (the comment is limited to {limit:,} characters); "
        f"see {json_hint} for the full plan."
    )


def _head(plan: PlanDocument) -> str:
    s = plan.summary
    title = wording.totals(plan) if plan.has_changes() else "no changes"
    lines = [MARKER, f"## mailctl plan: {title}", "", clipped(wording.origin(plan))]
    if not plan.has_changes():
        lines.append(wording.store_matches(plan))
    lines += [
        "",
        "| Summary | Count |",
        "| --- | ---: |",
        f"| to create | {s.create} |",
        f"| to update | {s.update} |",
        f"| to delete | {s.delete} |",
        f"| unchanged | {s.unchanged} |",
        f"| connection ranges | +{s.ranges_added} / -{s.ranges_removed} |",
        f"| allowlist files | {wording.allowlist_totals(plan.allowlist)} |",
        f"| drift (changed outside mailctl) | {s.drifted} |",
        f"| inboxes affected | {s.inboxes_affected} |",
    ]
    if plan.source.feeds:
        lines += ["", "Feeds read:", ""]
        lines += [f"- {clipped(wording.feed_text(f))}" for f in plan.source.feeds]
    if wording.shows_gates(plan):
        lines += [
            "",
            "### Gates",
            "",
            "| | Gate | Verdict | Override |",
            "| --- | --- | --- | --- |",
        ]
        lines += [_gate_row(v) for v in plan.gates]
    if plan.decisions:
        lines += ["", "### Decisions", "", escape(wording.DECISIONS), ""]
        lines += [f"- {clipped(line)}" for line in wording.decision_lines(plan.decisions)]
    summary = wording.checks_summary(plan.checks)
    if summary is not None:
        mark = _CHECK_MARKS[plan.checks.status]
        lines += ["", "### Connection checks", "", f"{mark} {clipped(summary)}".strip()]
    return "\n".join(lines)


def _gate_row(verdict: GateVerdict) -> str:
    mark = "⚠️" if verdict.overridden else "✅" if verdict.passed else "⛔"
    if not verdict.judged:
        mark = "⚪"  # passed, but too little to judge on: no tick that reads "fine"
    override = code(verdict.override) if verdict.override else "none"
    return f"| {mark} | {code(verdict.gate)} | {clipped(verdict.message)} | {override} |"


def _changes(changes: Iterable[Change], failed: dict[str, list[CheckTarget]]) -> Iterator[str]:
    heading = "\n\n### Changes"
    for change in changes:
        yield heading + _details(change, failed.get(change.domain, []))
        heading = ""


def _details(change: Change, failed: list[CheckTarget]) -> str:
    summary = [
        f"<b>{wording.SYMBOLS[change.action]} {change.action}</b> {code(change.domain)}",
        wording.plural(change.classification.inboxes_affected, "inbox", "inboxes"),
    ]
    if change.classification.downgrades:
        summary.append("⚠️ security downgrade")
    if failed:
        summary.append("⛔ live check failed")
    lines = ["", "", f"<details><summary>{' · '.join(summary)}</summary>", ""]
    if change.source:
        lines += [f"Source: {code(wording.place(change.source))}", ""]
    if change.action == "update":
        lines += ["| Field | Before | After |", "| --- | --- | --- |"]
        for field in change.fields:
            before = wording.format_value(field.field, field.before)
            after = wording.format_value(field.field, field.after)
            lines.append(f"| {code(field.field)} | {code(before)} | {code(after)} |")
    else:
        shown = change.after if change.action == "create" else change.before
        header = "Setting | Value" if change.action == "create" else "Setting | Value (deleted)"
        lines += [f"| {header} |", "| --- | --- |"]
        rows = wording.settings(shown) if shown else []
        lines += [f"| {code(key)} | {code(value)} |" for key, value in rows]
    notes = [f"{'⚠️ ' if n.warning else ''}{escape(n.text)}" for n in wording.notes(change)]
    notes += [f"⛔ {escape(wording.check_failed(target))}" for target in failed]
    if notes:
        lines.append("")
        lines += [f"- {note}" for note in notes]
    lines += ["", "</details>"]
    return "\n".join(lines)


def _ranges(plan: PlanDocument) -> Iterator[str]:
    heading = "\n\n### Connection ranges\n"
    for word, ranges in (("added", plan.ranges.added), ("removed", plan.ranges.removed)):
        for cidr in ranges:
            yield f"{heading}\n- {word} {code(cidr)}"
            heading = ""


def _allowlist(plan: PlanDocument) -> Iterator[str]:
    heading = "\n\n### Allowlist files\n\nWritten by `mailctl apply --allowlist-dir`:\n"
    words = {"+": "added", "~": "changed", "-": "removed"}
    for symbol, name, why in wording.allowlist_entries(plan.allowlist):
        yield f"{heading}\n- {words[symbol]} {code(name)}: {escape(why)}"
        heading = ""


def _drift(plan: PlanDocument) -> Iterator[str]:
    heading = "\n\n### Drift\n\nThe store was changed outside mailctl since the last apply:\n"
    for item in plan.drift:
        yield f"{heading}\n- {code(item.domain)}: {escape(wording.drift_text(item))}"
        heading = ""

"""A plan as ONE GitHub pull-request comment: summary table, gates, collapsible details.

:func:`render` is a pure function of the plan document. Its contract:

* the first line is :data:`MARKER`, so CI can find and update its sticky comment;
* the result is at most ``limit`` characters (``len(str)``; GitHub refuses comments over
  65,536). The header, summary table, gates and checks are always kept; per-domain
  details, range changes and drift entries follow in order while they fit, and a note
  says how many were left out and where the full plan is;
* every string that comes from the plan's data (domains, hosts, messages, paths, values)
  is escaped, so no value can inject HTML, break a table or start Markdown formatting.

Long plans (many thousand changes) render in linear time: parts are built lazily and
added while a running length stays within the budget; nothing is rendered twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from reconciler.plan.document import Change, GateVerdict, PlanDocument
from reconciler.render import plan_text

MARKER = "<!-- mailctl-plan -->"
GITHUB_COMMENT_LIMIT = 65_536
# The header is always kept. Its data-driven pieces (messages, paths) are clipped, so for
# the handful of gates mailctl evaluates it stays far below this.
MIN_LIMIT = 8_192
_CLIP = 500  # escaped characters of one message or path in the header

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

_KINDS = ("changes", "range changes", "drift entries")


def escape(text: str) -> str:
    """``text`` safe to place anywhere in Markdown or HTML text (not in an attribute)."""
    return _LOOSE_UNDERSCORE.sub("&#95;", text.translate(_TABLE))


def code(text: str) -> str:
    """``text`` escaped inside ``<code>``, which also keeps GitHub from linking @mentions."""
    return f"<code>{escape(text)}</code>"


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
    sections = {
        "changes": _changes(plan.changes),
        "range changes": _ranges(plan),
        "drift entries": _drift(plan),
    }
    counts = {
        "changes": len(plan.changes),
        "range changes": len(plan.ranges.added) + len(plan.ranges.removed),
        "drift entries": len(plan.drift),
    }
    # The widest note possible (every kind, every item left out) is reserved up front.
    reserve = len(_note(counts, json_hint, limit))
    parts, used = [head], len(head)
    shown = dict.fromkeys(_KINDS, 0)
    cut: tuple[int, dict[str, int]] | None = None  # where to stop if a note is needed
    for kind, items in sections.items():
        for item in items:
            if cut is None and used + len(item) > limit - reserve:
                cut = (len(parts), dict(shown))
            if used + len(item) > limit:
                # The reserve is positive, so the cut was found at this item or before.
                kept, shown_at_cut = cut or (len(parts), shown)
                omitted = {k: counts[k] - shown_at_cut[k] for k in _KINDS}
                return "".join(parts[:kept]) + _note(omitted, json_hint, limit)
            parts.append(item)
            used += len(item)
            shown[kind] += 1
    return "".join(parts)


def _note(omitted: dict[str, int], json_hint: str, limit: int) -> str:
    counted = [f"{n:,} more {kind}" for kind, n in omitted.items() if n]
    if not counted:
        return ""
    listed = ", ".join(counted[:-1]) + " and " + counted[-1] if len(counted) > 1 else counted[0]
    return (
        f"\n\n---\n\n… {listed} not shown (the comment is limited to {limit:,} characters); "
        f"see {json_hint} for the full plan."
    )


def _clipped(text: str, budget: int = _CLIP) -> str:
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


def _head(plan: PlanDocument) -> str:
    s = plan.summary
    title = plan_text.totals(plan) if plan.has_changes() else "no changes"
    lines = [MARKER, f"## mailctl plan: {title}", "", _clipped(plan_text.origin(plan))]
    if not plan.has_changes():
        lines.append("The store matches the desired state.")
    lines += [
        "",
        "| Summary | Count |",
        "| --- | ---: |",
        f"| to create | {s.create} |",
        f"| to update | {s.update} |",
        f"| to delete | {s.delete} |",
        f"| unchanged | {s.unchanged} |",
        f"| connection ranges | +{s.ranges_added} / -{s.ranges_removed} |",
        f"| drift (changed outside mailctl) | {s.drifted} |",
        f"| inboxes affected | {s.inboxes_affected} |",
    ]
    if plan_text.shows_gates(plan):
        lines += [
            "",
            "### Gates",
            "",
            "| | Gate | Verdict | Override |",
            "| --- | --- | --- | --- |",
        ]
        lines += [_gate_row(v) for v in plan.gates]
    if plan.checks.status != "not_run":
        detail = f": {_clipped(plan.checks.detail)}" if plan.checks.detail else ""
        lines += ["", f"**Connection checks:** {plan.checks.status}{detail}"]
    return "\n".join(lines)


def _gate_row(verdict: GateVerdict) -> str:
    mark = "⚠️" if verdict.overridden else "✅" if verdict.passed else "⛔"
    override = code(verdict.override) if verdict.override else "none"
    return f"| {mark} | {code(verdict.gate)} | {_clipped(verdict.message)} | {override} |"


def _changes(changes: Iterable[Change]) -> Iterator[str]:
    heading = "\n\n### Changes"
    for change in changes:
        yield heading + _details(change)
        heading = ""


def _details(change: Change) -> str:
    summary = [
        f"<b>{plan_text.SYMBOLS[change.action]} {change.action}</b> {code(change.domain)}",
        plan_text.plural(change.classification.inboxes_affected, "inbox", "inboxes"),
    ]
    if change.classification.downgrades:
        summary.append("⚠️ security downgrade")
    lines = ["", "", f"<details><summary>{' · '.join(summary)}</summary>", ""]
    if change.source:
        lines += [f"Source: {code(plan_text.place(change.source))}", ""]
    if change.action == "update":
        lines += ["| Field | Before | After |", "| --- | --- | --- |"]
        for field in change.fields:
            before = plan_text.format_value(field.field, field.before)
            after = plan_text.format_value(field.field, field.after)
            lines.append(f"| {code(field.field)} | {code(before)} | {code(after)} |")
    else:
        shown = change.after if change.action == "create" else change.before
        header = "Setting | Value" if change.action == "create" else "Setting | Value (deleted)"
        lines += [f"| {header} |", "| --- | --- |"]
        rows = plan_text.settings(shown) if shown else []
        lines += [f"| {code(key)} | {code(value)} |" for key, value in rows]
    notes = plan_text.notes(change)
    if notes:
        lines.append("")
        lines += [f"- {'⚠️ ' if n.warning else ''}{escape(n.text)}" for n in notes]
    lines += ["", "</details>"]
    return "\n".join(lines)


def _ranges(plan: PlanDocument) -> Iterator[str]:
    heading = "\n\n### Connection ranges\n"
    for word, ranges in (("added", plan.ranges.added), ("removed", plan.ranges.removed)):
        for cidr in ranges:
            yield f"{heading}\n- {word} {code(cidr)}"
            heading = ""


def _drift(plan: PlanDocument) -> Iterator[str]:
    heading = "\n\n### Drift\n\nThe store was changed outside mailctl since the last apply:\n"
    for item in plan.drift:
        yield f"{heading}\n- {code(item.domain)}: {escape(plan_text.drift_text(item))}"
        heading = ""

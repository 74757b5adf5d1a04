"""What GitHub shows of a mailctl run in CI: the pull-request comment, the job summary
and the step outputs. Pure: the caller (``mailctl report``) reads the plan document,
mailctl's logged standard error and the input errors, and writes the results.

The status line on top comes from the plan's own exit status
(:mod:`reconciler.plan.status`) whenever there is a plan, so the comment never calls a
plan ready that its apply would refuse. Nothing here shows a store URL: text from
mailctl's standard error has every URL replaced before it reaches a comment or a
summary (comments are not masked by GitHub the way logs are).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.plan.document import PlanDocument
from reconciler.plan.status import (
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_CHECK_FAILED,
    EXIT_ERROR,
    EXIT_OK,
    MEANINGS,
    PASSING,
    blocking,
    exit_status,
)
from reconciler.render import plan_markdown, wording
from reconciler.render.markdown import clipped, code, escape

LIMIT = plan_markdown.GITHUB_COMMENT_LIMIT
MARKER = plan_markdown.MARKER
DIAGNOSTICS_SHOWN = 50  # input errors listed in a comment; the annotations have them all
LOG_LINES = 40  # lines of mailctl's standard error quoted when it failed
# Where each phase of an apply run left mailctl's standard error.
LOGS = {"plan": "plan.log", "apply": "apply.log", "none": "plan.log", "allowlist": "allowlist.log"}
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://\S+")


def redact(text: str) -> str:
    """``text`` without URLs (a store URL may carry a user, host or password)."""
    return _URL.sub("[store URL hidden]", text)


def short(text: str, most: int = 300) -> str:
    """``text`` cut to ``most`` characters (a gate's message can name every domain)."""
    return text if len(text) <= most else text[: most - 1] + "…"


def plan_status(status: int, plan: PlanDocument | None) -> int:
    """The status a plan run reports: the plan's own (``--detailed-exitcode``) when
    there is a plan, unless mailctl failed on an error (1) that no plan shows."""
    if plan is None or status == EXIT_ERROR:
        return status
    return exit_status(plan, detailed=True)


def where_the_plan_is(artifact: str, link: str | None) -> str:
    """Trusted Markdown naming the artifact, linked to this run when known."""
    run = f"[this workflow run]({link})" if link else "this workflow run"
    return f"{code('plan.json')} in the {code(artifact)} artifact of {run}"


def log_excerpt(text: str) -> str:
    """The last lines mailctl wrote to standard error, URLs hidden, as an HTML block."""
    lines = [redact(line) for line in text.splitlines() if line.strip()][-LOG_LINES:]
    if not lines:
        return ""
    return "<pre>\n" + "\n".join(clipped(line) for line in lines) + "\n</pre>"


def reason(status: int, plan: PlanDocument | None, verb: str = "plan") -> str:
    """One line for people: what the exit status means for this plan."""
    meaning = MEANINGS.get(status, "unexpected exit status")
    if status == EXIT_OK:
        return "No changes: the store already matches the desired state."
    if status == EXIT_CHANGES and plan is not None:
        return f"Changes present: {wording.totals(plan)}."
    if status == EXIT_CHECK_FAILED and plan is not None:
        checked = wording.checks_summary(plan.checks) or "see the checks"
        return (
            f"mailctl {verb} failed (exit 3, {meaning}): {short(checked)}; a domain with "
            "settings that fail would disconnect its inboxes."
        )
    if status == EXIT_BLOCKED and plan is not None:
        gates = blocking(plan)
        named = "; ".join(short(wording.blocked_text(v)) for v in gates) or "see the gates"
        return f"mailctl {verb} failed (exit 4, {meaning}): {named}."
    return f"mailctl {verb} failed (exit {status}, {meaning})."


def _place(item: Mapping[str, Any]) -> str:
    """``file:line:column`` of a JSON diagnostic, leaving out what is null (not known)."""
    place = str(item.get("file") or "(no file)")
    if item.get("line"):
        place += f":{item['line']}:{item.get('column') or 1}"
    return place


def diagnostics_table(items: Sequence[Mapping[str, Any]]) -> str:
    """Input errors (as in ``mailctl validate --format json``) as a Markdown table."""
    rows = ["| Place | Error | Hint |", "| --- | --- | --- |"]
    for item in items[:DIAGNOSTICS_SHOWN]:
        place = _place(item)
        rows.append(
            f"| {code(place)} | {clipped(str(item.get('message', '')))} "
            f"| {clipped(str(item.get('hint') or ''))} |"
        )
    if len(items) > DIAGNOSTICS_SHOWN:
        rows += ["", f"… and {len(items) - DIAGNOSTICS_SHOWN:,} more errors (see the annotations)."]
    return "\n".join(rows)


def with_status(rendered: str, status_line: str) -> str:
    """The renderer's Markdown with ``status_line`` under its heading; the marker stays
    the first line."""
    lines = rendered.split("\n")
    at = 2 if len(lines) > 1 and lines[1].startswith("## ") else 1
    return "\n".join([*lines[:at], "", status_line, *lines[at:]])


def status_line(status: int, plan: PlanDocument | None, verb: str) -> str:
    mark = "✅" if status in PASSING else "⛔"
    return f"{mark} **{escape(reason(status, plan, verb))}**"


def clip(body: str) -> str:
    """A hand-built body cut to the limit (only a huge log or table could need it)."""
    if len(body) <= LIMIT:
        return body
    note = "\n\n… cut to fit GitHub's comment size limit; see the job log."
    return body[: LIMIT - len(note)] + note


def plan_body(
    plan: PlanDocument | None,
    status: int,
    *,
    path: str,
    artifact: str,
    link: str | None,
    log: str,
    diagnostics: Sequence[Mapping[str, Any]],
) -> str:
    """The pull-request comment: the rendered plan with the outcome on top, or (when
    nothing was planned) the reason and the input errors. ``status``: see plan_status."""
    hint = where_the_plan_is(artifact, link)
    footer = (
        f"\n\n<sub>mailctl plan exit status {status} ({escape(MEANINGS.get(status, '?'))}); "
        f"the full plan is {hint}.</sub>"
    )
    if status == EXIT_OK:
        line = "✅ **No changes.** The store already matches it; merging applies nothing."
    elif status == EXIT_CHANGES:
        line = "✅ **Plan ready.** Merging this pull request applies these changes."
    else:
        line = status_line(status, plan, "plan")
    if status in (EXIT_CHECK_FAILED, EXIT_BLOCKED):
        line += " The apply on merge would be refused: push a fix, or see the override."
    if plan is not None:
        room = LIMIT - len(footer) - len(line) - 2
        rendered = plan_markdown.render(plan, json_hint=hint, limit=room)
        return with_status(rendered, line) + footer
    parts = [MARKER, "## mailctl plan: failed", "", line]
    if diagnostics:
        errors = len(diagnostics)
        parts += [
            "",
            f"{code(path)} has {errors:,} input error{'s' if errors != 1 else ''}; nothing "
            "was planned. Each is also annotated on its line under *Files changed*.",
            "",
            diagnostics_table(diagnostics),
        ]
    else:
        parts += ["", "Nothing was planned. What mailctl said:", "", log_excerpt(log)]
    return clip("\n".join(parts) + footer)


def apply_body(
    plan: PlanDocument | None,
    phase: str,
    status: int,
    *,
    serial: str,
    allowlists: str,
    artifact: str,
    link: str | None,
    log: str,
) -> str:
    """The job summary of an apply: outcome first, then the plan that was applied (or
    refused). ``log``: mailctl's standard error in the failing ``phase``."""
    mark = "✅" if status == EXIT_OK else "⛔"
    line = f"{mark} **{escape(apply_reason(phase, status, serial, plan))}**"
    if status != EXIT_OK:
        before = str(plan.store.serial) if plan is not None else ""
        if phase == "apply" and serial and before and serial != before:
            line += f"\n\nThe store was changed (serial {escape(serial)}) before mailctl failed."
        else:
            line += (
                "\n\nThe store is unchanged: an apply writes all of its changes in one "
                "transaction, or none."
            )
        line += " What mailctl said:\n\n" + log_excerpt(log)
    if allowlists:
        line += f"\n\n{escape(allowlists)}"
    if plan is None:
        return clip("\n".join(["## mailctl apply", "", line]))
    rendered = plan_markdown.render(plan, json_hint=where_the_plan_is(artifact, link))
    body = with_status(rendered, line).split("\n", 1)[1]  # no marker: not a comment
    return clip(body.replace("## mailctl plan:", "## mailctl apply:", 1))


def apply_reason(phase: str, status: int, serial: str, plan: PlanDocument | None) -> str:
    if status != EXIT_OK and phase == "allowlist":
        return f"No changes to apply, but writing the allowlists failed (exit {status})."
    if status != EXIT_OK:
        return reason(status, plan, "apply" if phase == "apply" else "plan")
    if phase == "none" or plan is None:
        return "No changes: the store already matches the desired state; nothing applied."
    s = plan.summary
    ranges = s.ranges_added + s.ranges_removed
    return (
        f"Applied: serial {serial} ({s.create} created, {s.update} updated, {s.delete} "
        f"deleted, {ranges} range change{'' if ranges == 1 else 's'})."
    )


def outputs(plan: PlanDocument | None, status: int, verb: str) -> dict[str, str]:
    """The step outputs every run writes (single-line values)."""
    return {
        "exit-status": str(status),
        "passed": "true" if status in PASSING else "false",
        "reason": reason(status, plan, verb),
        "plan-checksum": plan.checksum if plan else "",
        "changes": str(plan.summary.changes) if plan else "",
    }

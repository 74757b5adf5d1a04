"""What GitHub shows of a mailctl run in CI: the pull-request comment, the job summary
and the step outputs. Called by ``mailctl-plan`` and ``mailctl-apply`` (next to this
file) after mailctl itself ran; it reads what those runs left in the output folder:

* ``plan.json`` (``mailctl plan --out``), absent when the plan failed with exit 1;
* ``plan.log`` / ``apply.log``: what mailctl wrote to standard error;
* ``validate.json`` (``mailctl validate --format json``), written when the plan failed
  with exit 1, so that input errors can be listed in the comment.

It writes ``comment.md`` (plan) or ``summary.md`` (apply) into that folder, appends the
same Markdown to ``$GITHUB_STEP_SUMMARY`` and writes the step outputs to
``$GITHUB_OUTPUT`` when those are set. The comment starts with the marker line that
``sticky-comment.cjs`` looks for, and stays within GitHub's comment size limit.

Nothing here prints or posts a store URL: text from mailctl's standard error has every
URL replaced before it reaches a comment or a summary (comments are not masked by
GitHub the way logs are).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from reconciler.plan.document import GateVerdict, PlanDocument
from reconciler.render import plan_markdown, plan_text
from reconciler.render.markdown import clipped, code, escape

LIMIT = plan_markdown.GITHUB_COMMENT_LIMIT
MARKER = plan_markdown.MARKER
PASSING = {0, 2}  # no changes, changes present; 1, 3 and 4 fail the check
MEANINGS = {
    0: "no changes",
    1: "error in input or usage",
    2: "changes present",
    3: "a live connection check failed",
    4: "blocked by a gate",
}
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


def run_link() -> str | None:
    server, repo, run = (
        os.environ.get(name, "")
        for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def where_the_plan_is(artifact: str) -> str:
    """Trusted Markdown naming the artifact, linked to this run when known."""
    link = run_link()
    run = f"[this workflow run]({link})" if link else "this workflow run"
    return f"{code('plan.json')} in the {code(artifact)} artifact of {run}"


def read_plan(out: Path) -> PlanDocument | None:
    path = out / "plan.json"
    if not path.is_file():
        return None
    return PlanDocument.model_validate_json(path.read_text(encoding="utf-8"))


def blocking(plan: PlanDocument) -> list[GateVerdict]:
    """The gates that block (a skipped checks gate does not fail a plan: apply asks for
    ``--allow-unchecked`` instead, and the gates table says so)."""
    skipped = plan.checks.status == "skipped"
    return [v for v in plan.gates if not v.passed and not (skipped and v.gate == "checks")]


def log_excerpt(path: Path) -> str:
    """The last lines mailctl wrote to standard error, URLs hidden, as an HTML block."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    lines = [redact(line) for line in text.splitlines() if line.strip()][-LOG_LINES:]
    if not lines:
        return ""
    return "<pre>\n" + "\n".join(clipped(line) for line in lines) + "\n</pre>"


def reason(status: int, plan: PlanDocument | None, verb: str = "plan") -> str:
    """One line for people: what the exit status means for this plan."""
    meaning = MEANINGS.get(status, "unexpected exit status")
    if status == 0:
        return "No changes: the store already matches the desired state."
    if status == 2 and plan is not None:
        return f"Changes present: {plan_text.totals(plan)}."
    if status == 3 and plan is not None:
        checked = plan_text.checks_summary(plan.checks) or "see the checks"
        return (
            f"mailctl {verb} failed (exit 3, {meaning}): {short(checked)}; a domain with "
            "settings that fail would disconnect its inboxes."
        )
    if status == 4 and plan is not None:
        gates = blocking(plan)
        named = "; ".join(short(plan_text.blocked_text(v)) for v in gates) or "see the gates"
        return f"mailctl {verb} failed (exit 4, {meaning}): {named}."
    return f"mailctl {verb} failed (exit {status}, {meaning})."


def diagnostics_table(out: Path) -> tuple[str, int]:
    """The input errors from ``validate.json`` as a Markdown table, and their count."""
    try:
        document = json.loads((out / "validate.json").read_text(encoding="utf-8"))
        items = [d for d in document["diagnostics"] if d.get("severity") == "error"]
    except (OSError, ValueError, KeyError, TypeError):
        return "", 0
    if not items:
        return "", 0
    rows = ["| Place | Error | Hint |", "| --- | --- | --- |"]
    for item in items[:DIAGNOSTICS_SHOWN]:
        place = f"{item.get('file')}:{item.get('line') or 0}:{item.get('column') or 0}"
        rows.append(
            f"| {code(place)} | {clipped(str(item.get('message', '')))} "
            f"| {clipped(str(item.get('hint') or ''))} |"
        )
    if len(items) > DIAGNOSTICS_SHOWN:
        rows += ["", f"… and {len(items) - DIAGNOSTICS_SHOWN:,} more errors (see the annotations)."]
    return "\n".join(rows), len(items)


def with_status(rendered: str, status_line: str) -> str:
    """The renderer's Markdown with ``status_line`` under its heading; the marker stays
    the first line."""
    lines = rendered.split("\n")
    at = 2 if len(lines) > 1 and lines[1].startswith("## ") else 1
    return "\n".join([*lines[:at], "", status_line, *lines[at:]])


def status_line(status: int, plan: PlanDocument | None, verb: str) -> str:
    mark = "✅" if status in PASSING else "⛔"
    return f"{mark} **{escape(reason(status, plan, verb))}**"


def plan_body(out: Path, status: int, path: str, artifact: str) -> str:
    """The pull-request comment: the rendered plan with the outcome on top, or (when
    nothing was planned) the reason and the input errors."""
    plan = read_plan(out)
    footer = (
        f"\n\n<sub>mailctl plan exit status {status} ({escape(MEANINGS.get(status, '?'))}); "
        f"the full plan is {where_the_plan_is(artifact)}.</sub>"
    )
    if status == 0:
        line = "✅ **No changes.** The store already matches it; merging applies nothing."
    elif status == 2:
        line = "✅ **Plan ready.** Merging this pull request applies these changes."
    else:
        line = status_line(status, plan, "plan")
    if status in (3, 4):
        line += " The apply on merge would be refused: push a fix, or see the override."
    if plan is not None:
        room = LIMIT - len(footer) - len(line) - 2
        rendered = plan_markdown.render(plan, json_hint=where_the_plan_is(artifact), limit=room)
        return with_status(rendered, line) + footer
    table, errors = diagnostics_table(out)
    parts = [MARKER, "## mailctl plan: failed", "", line]
    if errors:
        parts += [
            "",
            f"{code(path)} has {errors:,} input error{'s' if errors != 1 else ''}; nothing "
            "was planned. Each is also annotated on its line under *Files changed*.",
            "",
            table,
        ]
    else:
        parts += ["", "Nothing was planned. What mailctl said:", "", log_excerpt(out / "plan.log")]
    return clip("\n".join(parts) + footer)


def clip(body: str) -> str:
    """A hand-built body cut to the limit (only a huge log or table could need it)."""
    if len(body) <= LIMIT:
        return body
    note = "\n\n… cut to fit GitHub's comment size limit; see the job log."
    return body[: LIMIT - len(note)] + note


def apply_body(
    out: Path, phase: str, status: int, serial: str, allowlists: str, artifact: str
) -> str:
    """The job summary of an apply: outcome first, then the plan that was applied (or
    refused)."""
    plan = read_plan(out)
    mark = "✅" if status == 0 else "⛔"
    line = f"{mark} **{escape(apply_reason(phase, status, serial, plan))}**"
    if status != 0:
        before = str(plan.store.serial) if plan is not None else ""
        if phase == "apply" and serial and before and serial != before:
            line += f"\n\nThe store was changed (serial {escape(serial)}) before mailctl failed."
        else:
            line += (
                "\n\nThe store is unchanged: an apply writes all of its changes in one "
                "transaction, or none."
            )
        line += " What mailctl said:\n\n" + log_excerpt(out / LOGS[phase])
    if allowlists:
        line += f"\n\n{escape(allowlists)}"
    if plan is None:
        return clip("\n".join(["## mailctl apply", "", line]))
    rendered = plan_markdown.render(plan, json_hint=where_the_plan_is(artifact))
    body = with_status(rendered, line).split("\n", 1)[1]  # no marker: not a comment
    return clip(body.replace("## mailctl plan:", "## mailctl apply:", 1))


def apply_reason(phase: str, status: int, serial: str, plan: PlanDocument | None) -> str:
    if status != 0 and phase == "allowlist":
        return f"No changes to apply, but writing the allowlists failed (exit {status})."
    if status != 0:
        return reason(status, plan, "apply" if phase == "apply" else "plan")
    if phase == "none" or plan is None:
        return "No changes: the store already matches the desired state; nothing applied."
    s = plan.summary
    ranges = s.ranges_added + s.ranges_removed
    return (
        f"Applied: serial {serial} ({s.create} created, {s.update} updated, {s.delete} "
        f"deleted, {ranges} range change{'' if ranges == 1 else 's'})."
    )


def stored_serial() -> str:
    """The store's serial now (empty if it cannot be read): the summary tells an applied
    change from none by it. The store is the one mailctl used: $MAILCTL_STATE."""
    from reconciler.store.open import open_store, resolve_url

    try:
        store = open_store(resolve_url(None, os.environ, Path.cwd()))
        try:
            return str(store.read().serial)
        finally:
            store.close()
    except Exception as exc:  # any failure only costs the serial in the summary
        print(f"cannot read the store's serial: {redact(str(exc))}", file=sys.stderr)
        return ""


def write_outputs(outputs: dict[str, str]) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    with Path(target).open("a", encoding="utf-8") as handle:
        for key, value in outputs.items():
            handle.write(f"{key}={' '.join(value.split())}\n")


def append_summary(body: str) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(body.rstrip("\n") + "\n")


def plan_outputs(out: Path, status: int, verb: str) -> dict[str, str]:
    plan = read_plan(out)
    return {
        "exit-status": str(status),
        "passed": "true" if status in PASSING else "false",
        "reason": reason(status, plan, verb),
        "plan-checksum": plan.checksum if plan else "",
        "changes": str(plan.summary.changes) if plan else "",
        "out-dir": str(out),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["plan", "apply"])
    parser.add_argument("out", type=Path, help="the folder mailctl's run wrote to")
    parser.add_argument("--status", type=int, required=True, help="mailctl's exit status")
    parser.add_argument("--path", default="domains.yaml", help="the desired state's path")
    parser.add_argument("--artifact", default="mailctl-plan", help="the artifact's name")
    parser.add_argument("--phase", choices=sorted(LOGS), default="plan")
    parser.add_argument("--allowlists", default="", help="a line about the allowlists")
    args = parser.parse_args(argv)
    out: Path = args.out
    plan = read_plan(out)
    if plan is not None:
        print(plan_text.render(plan, colour=False), file=sys.stderr)
    if args.mode == "plan":
        body = plan_body(out, args.status, args.path, args.artifact)
        (out / "comment.md").write_text(body, encoding="utf-8")
        append_summary(body)
        outputs = plan_outputs(out, args.status, "plan")
        outputs["comment-file"] = str(out / "comment.md")
    else:
        serial = stored_serial()
        body = apply_body(out, args.phase, args.status, serial, args.allowlists, args.artifact)
        (out / "summary.md").write_text(body, encoding="utf-8")
        append_summary(body)
        outputs = plan_outputs(out, args.status, "plan")
        outputs["reason"] = apply_reason(args.phase, args.status, serial, plan)
        outputs["serial"] = serial
    write_outputs(outputs)
    print(outputs["reason"], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``mailctl report``: what GitHub shows of a mailctl run in CI, from what the run left.

The workflow scripts (``.github/scripts/mailctl-plan`` and ``mailctl-apply``) run
mailctl plan (and apply) with their output in one folder, then this command. It reads:

* ``plan.json`` (``mailctl plan --out``), absent when the plan failed with exit 1;
* ``plan.log`` / ``apply.log`` / ``allowlist.log``: what mailctl wrote to standard error;
* ``validate.json`` (``mailctl validate --format json``), written when the plan failed
  with exit 1, so that input errors can be listed in the comment;

and writes ``comment.md`` (plan) or ``summary.md`` (apply) into that folder, appends the
same Markdown to ``$GITHUB_STEP_SUMMARY`` and writes the step outputs to
``$GITHUB_OUTPUT`` when those are set. The rendering is ``reconciler.render.ci_report``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from reconciler.app import inspect, planfile
from reconciler.cli.common import state_option
from reconciler.plan.document import PlanDocument
from reconciler.render import ci_report, plan_text


def _plan(out: Path) -> PlanDocument | None:
    path = out / "plan.json"
    return planfile.read(path) if path.is_file() else None


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _input_errors(out: Path) -> list[Mapping[str, Any]]:
    """The errors of ``validate.json``; none if it is missing or not such a document."""
    try:
        document = json.loads((out / "validate.json").read_text(encoding="utf-8"))
        return [d for d in document["diagnostics"] if d.get("severity") == "error"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []


def _run_link() -> str | None:
    server, repo, run = (
        os.environ.get(name, "")
        for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def _stored_serial(state_url: str | None) -> str:
    """The store's serial now (empty if it cannot be read): the summary tells an applied
    change from none by it."""
    try:
        return str(inspect.show(inspect.ReadOptions(state_url)).state.serial)
    except Exception as exc:  # any failure only costs the serial in the summary
        click.echo(f"cannot read the store's serial: {ci_report.redact(str(exc))}", err=True)
        return ""


def _append(variable: str, text: str) -> None:
    target = os.environ.get(variable)
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(text)


def _write_outputs(outputs: dict[str, str]) -> None:
    _append("GITHUB_OUTPUT", "".join(f"{k}={' '.join(v.split())}\n" for k, v in outputs.items()))


@click.command()
@click.argument("mode", type=click.Choice(["plan", "apply"]))
@click.argument("out", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--status", type=int, required=True, help="mailctl's exit status in the run.")
@click.option(
    "--path",
    default="domains.yaml",
    show_default=True,
    help="The domains file or folder, as the comment names it.",
)
@click.option(
    "--artifact",
    default="mailctl-plan",
    show_default=True,
    help="The name of the artifact the workflow uploads OUT as.",
)
@click.option(
    "--phase",
    type=click.Choice(sorted(ci_report.LOGS)),
    default="plan",
    show_default=True,
    help="apply mode: the step --status is from (none: nothing to apply, only the "
    "allowlists were written).",
)
@click.option("--allowlists", default="", help="A line about the allowlists written.")
@state_option
def report(
    mode: str,
    out: Path,
    status: int,
    path: str,
    artifact: str,
    phase: str,
    allowlists: str,
    state_url: str | None,
) -> None:
    """Write the pull-request comment (plan) or job summary (apply) of a CI run in OUT.

    OUT is the folder the run's mailctl plan --out (and apply) wrote to. Writes
    OUT/comment.md or OUT/summary.md, appends it to $GITHUB_STEP_SUMMARY and the step
    outputs to $GITHUB_OUTPUT. A plan's status comes from the plan itself, so the
    comment never calls a plan ready that its apply would refuse.

    \b
    Example:
      mailctl report plan "$RUNNER_TEMP/mailctl" --status "$status" --path domains.yaml
    """
    plan = _plan(out)
    if plan is not None:
        click.echo(plan_text.render(plan, colour=False), err=True)
    link = _run_link()
    if mode == "plan":
        status = ci_report.plan_status(status, plan)
        body = ci_report.plan_body(
            plan,
            status,
            path=path,
            artifact=artifact,
            link=link,
            log=_text(out / "plan.log"),
            diagnostics=_input_errors(out),
        )
        written = out / "comment.md"
        outputs = {**ci_report.outputs(plan, status, "plan"), "out-dir": str(out)}
        outputs["comment-file"] = str(written)
    else:
        serial = _stored_serial(state_url)
        body = ci_report.apply_body(
            plan,
            phase,
            status,
            serial=serial,
            allowlists=allowlists,
            artifact=artifact,
            link=link,
            log=_text(out / ci_report.LOGS[phase]),
        )
        written = out / "summary.md"
        outputs = {**ci_report.outputs(plan, status, "plan"), "out-dir": str(out)}
        outputs["reason"] = ci_report.apply_reason(phase, status, serial, plan)
        outputs["serial"] = serial
    written.write_text(body, encoding="utf-8")
    _append("GITHUB_STEP_SUMMARY", body.rstrip("\n") + "\n")
    _write_outputs(outputs)
    click.echo(outputs["reason"], err=True)

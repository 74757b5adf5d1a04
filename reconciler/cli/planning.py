"""``mailctl plan``, ``mailctl apply`` and ``mailctl rollback``: parse, call one use
case of ``reconciler.app``, show its result, exit with its status."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler import identity
from reconciler.allowlist.formats import Format
from reconciler.app.rollback import MAX_SERIAL
from reconciler.cli.allowlist import format_option
from reconciler.cli.boundary import input_view, show_diagnostics
from reconciler.cli.common import (
    check_options,
    credential_policy,
    feed_timeout_option,
    gate_options,
    lock_timeout_option,
    state_option,
    targeting_options,
)
from reconciler.cli.plan_views import (
    Review,
    render,
    saved,
    say_applied,
    say_nothing_applied,
    say_published,
    told,
)
from reconciler.cli.progress import CheckProgress
from reconciler.plan.signing import key_from_env

if TYPE_CHECKING:
    from reconciler.app.options import CheckOptions, Targets, Thresholds
    from reconciler.app.targeting import Selection

PLAN_FORMAT = click.Choice(["text", "markdown", "json", "github"])


def _output_options(func: Any) -> Any:
    func = click.option(
        "--detailed-exitcode",
        is_flag=True,
        help="Exit 2 when there are changes (0 when none), so scripts can tell them apart.",
    )(func)
    func = click.option(
        "--format",
        "fmt",
        type=PLAN_FORMAT,
        default="text",
        show_default=True,
        help="text for people, markdown for a pull-request comment, json (the plan "
        "document), github for workflow annotations.",
    )(func)
    return click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Also save the plan as JSON here, for mailctl apply.",
    )(func)


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@_output_options
@state_option
@check_options(skippable=True)
@feed_timeout_option
@gate_options
@targeting_options
def plan(
    path: Path,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    state_url: str | None,
    feed_timeout: float,
    checks: CheckOptions | None,
    targets: Targets,
    lifted: frozenset[str],
    thresholds: Thresholds,
    targeting: Selection,
) -> None:
    """Show what applying the domains file (or folder) at PATH would change.

    A dry run: reads the store, writes nothing to it. Every endpoint the plan would
    create or change is checked live (DNS, TCP, TLS and certificate, greeting,
    capabilities, optional login); the evidence goes into the plan. Exits 3 if a check
    failed, 4 if a gate would block the apply (naming the flag that lifts it). The
    gates lifted, the --resolve pins, private targets, CA file and mass-change
    thresholds are recorded in the plan: its apply honours exactly those. --domain and
    --exclude plan part of it (recorded too; the rest is shown as not planned). With
    $MAILCTL_PLAN_KEY set, the plan is signed, so that apply can trust its checks.

    \b
    Examples:
      mailctl plan domains.yaml
      mailctl plan domains/ --out plan.json --format markdown > comment.md
      mailctl plan domains.yaml --detailed-exitcode   # 0 none, 2 changes
      mailctl plan domains.yaml --domain example.com --out plan.json   # that domain only
    """
    from reconciler.app.plan import PlanRequest
    from reconciler.app.plan import plan as planning

    input_view(fmt, path)
    request = PlanRequest(
        path=path,
        state_url=state_url,
        lifted=lifted,
        thresholds=thresholds,
        targeting=targeting,
        checks=checks,
        fetch=targets.fetch(timeout=feed_timeout),
        credentials=credential_policy(),
        key=key_from_env(os.environ),
        out=out,
    )
    with CheckProgress() as progress:
        planned = planning(request, progress=progress)
    show_diagnostics(planned.warnings, "github" if fmt == "github" else "text")
    click.echo(render(planned.document, fmt), nl=False)
    saved(planned)
    sys.exit(planned.status(detailed=detailed_exitcode))


@click.command()
@click.argument("source", metavar="PLAN_OR_PATH", type=click.Path(path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply PATH without asking (needed off a TTY).")
@click.option("--actor", help="Who applies, for history. Default: $GITHUB_ACTOR, else your login.")
@click.option(
    "--max-check-age",
    type=click.FloatRange(min=0),
    default=3600.0,
    show_default=True,
    metavar="SECONDS",
    help="A saved plan whose live checks are older than this is checked again first "
    "(and so is one whose signature cannot be verified with $MAILCTL_PLAN_KEY).",
)
@click.option(
    "--allowlist-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="After storing, write the allowlists of the stored state here (as mailctl "
    "allowlist --out DIR), so CI can publish them in the same job.",
)
@format_option("--allowlist-format", help_prefix="Allowlist formats for --allowlist-dir.")
@state_option
@lock_timeout_option
@check_options(skippable=True)
@feed_timeout_option
@gate_options
@targeting_options
def apply(
    source: Path,
    auto_approve: bool,
    actor: str | None,
    max_check_age: float,
    allowlist_dir: Path | None,
    formats: tuple[Format, ...],
    state_url: str | None,
    lock_timeout: float,
    feed_timeout: float,
    checks: CheckOptions | None,
    targets: Targets,
    lifted: frozenset[str],
    thresholds: Thresholds,
    targeting: Selection,
) -> None:
    """Apply a saved plan (a .json file from mailctl plan --out), or plan and apply PATH.

    A saved plan's target is applied exactly as reviewed. Its changes are computed
    again against the store: it is refused if the store changed since or the changes
    differ (stale), or if a gate blocks (exit 4); the gates are judged on that
    recomputation, never on what the plan file says. The plan's live checks are used
    only when the plan is signed with $MAILCTL_PLAN_KEY (a plan signed with another
    key is refused); otherwise the changed endpoints are checked again. A saved plan
    is applied with the decisions it records (lifted gates, --resolve pins, private
    targets, CA file, mass-change thresholds, --domain/--exclude) and only those: a flag
    it does not record is refused (plan again with it). Given a domains file or folder,
    mailctl plans, shows the plan and asks before applying (--auto-approve when there is
    no terminal). All changes land in one transaction, with a history
    entry naming the actor and the commit.

    \b
    Examples:
      mailctl apply plan.json
      mailctl apply domains.yaml --auto-approve --actor ci
    """
    from reconciler.app import apply as applying
    from reconciler.app.publish import Publish

    who = identity.actor(actor)
    commit = identity.commit(Path.cwd())
    publish = None if allowlist_dir is None else Publish(allowlist_dir, formats)
    if source.suffix == ".json" and source.is_file():
        request = applying.ApplyPlanRequest(
            plan=source,
            actor=who,
            commit=commit,
            state_url=state_url,
            lifted=lifted,
            thresholds=thresholds,
            targeting=targeting,
            lock_timeout=lock_timeout,
            checks=checks,
            no_checks=checks is None,
            targets=targets,
            max_check_age=max_check_age,
            key=key_from_env(os.environ),
            publish=publish,
        )
        with CheckProgress() as progress:
            applied = applying.apply_plan(request, progress=progress, told=told)
        say_applied(applied)
        sys.exit(applied.status)
    input_view("text", source)
    asked = applying.ApplyPathRequest(
        path=source,
        actor=who,
        commit=commit,
        state_url=state_url,
        lifted=lifted,
        thresholds=thresholds,
        targeting=targeting,
        lock_timeout=lock_timeout,
        checks=checks,
        fetch=targets.fetch(timeout=feed_timeout),
        credentials=credential_policy(),
        publish=publish,
    )
    with CheckProgress() as progress:
        result = applying.apply_path(asked, Review(auto_approve), progress=progress)
    if result.applied is not None:
        say_applied(result.applied)
    elif result.nothing_applied is not None:
        say_published(result.published)
        say_nothing_applied(result.nothing_applied, refused=result.status != 0)
    sys.exit(result.status)


@click.command()
@click.option(
    "--to",
    "serial",
    type=click.IntRange(min=1, max=MAX_SERIAL),
    required=True,
    metavar="SERIAL",
    help="The serial to restore (see mailctl history).",
)
@_output_options
@state_option
@check_options(skippable=True)
@gate_options
def rollback(
    serial: int,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    state_url: str | None,
    checks: CheckOptions | None,
    targets: Targets,
    lifted: frozenset[str],
    thresholds: Thresholds,
) -> None:
    """Plan a return to the state recorded at SERIAL.

    The result is an ordinary plan: save it with --out and apply it with mailctl apply;
    it goes through the same stale check and gates as any other.

    \b
    Example:
      mailctl rollback --to 12 --out rollback.json && mailctl apply rollback.json
    """
    from reconciler.app.rollback import RollbackRequest
    from reconciler.app.rollback import rollback as rolling_back

    input_view(fmt)
    request = RollbackRequest(
        serial=serial,
        state_url=state_url,
        lifted=lifted,
        thresholds=thresholds,
        checks=checks,
        key=key_from_env(os.environ),
        out=out,
    )
    with CheckProgress() as progress:
        planned = rolling_back(request, progress=progress)
    click.echo(render(planned.document, fmt), nl=False)
    saved(planned)
    sys.exit(planned.status(detailed=detailed_exitcode))

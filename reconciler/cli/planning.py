"""``mailctl plan``, ``mailctl apply`` and ``mailctl rollback``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler import identity, service
from reconciler.allowlist.formats import Format
from reconciler.cli.allowlist import format_option, write_allowlists
from reconciler.cli.boundary import input_view, show_diagnostics
from reconciler.cli.common import (
    check_options,
    check_options_from,
    colour,
    credential_policy,
    feed_timeout_option,
    fetch_options_from,
    gate_options,
    lifted_gates,
    lock_timeout_option,
    opened_store,
    plural,
    state_option,
)
from reconciler.cli.exitcodes import EXIT_ERROR, EXIT_OK
from reconciler.cli.progress import CheckProgress
from reconciler.errors import MailctlError
from reconciler.output.atomic import write_atomic
from reconciler.plan import status
from reconciler.plan.document import Checks, PlanDocument
from reconciler.plan.signing import PlanKey, key_from_env
from reconciler.render import plan_github, plan_markdown, plan_text
from reconciler.store.base import MAX_SERIAL, Store

if TYPE_CHECKING:
    from reconciler.checks.live import CheckOptions

PLAN_FORMAT = click.Choice(["text", "markdown", "json", "github"])


def render(document: PlanDocument, fmt: str) -> str:
    """The plan in ``fmt``, ending in exactly one new line."""
    if fmt == "json":
        return document.to_json()
    if fmt == "markdown":
        text = plan_markdown.render(document)
    elif fmt == "github":
        text = plan_github.render(document)
    else:
        text = plan_text.render(document, colour=colour(sys.stdout))
    return text.rstrip("\n") + "\n" if text else ""


def _save(document: PlanDocument, out: Path | None) -> None:
    if out is None:
        return
    try:
        write_atomic(out, document.to_json().encode())
    except OSError as exc:
        raise MailctlError(f"cannot write the plan to {out}: {exc.strerror}") from None
    click.echo(f"Saved the plan to {out}; apply it with: mailctl apply {out}", err=True)


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
def plan(
    path: Path,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    state_url: str | None,
    **overrides: Any,
) -> None:
    """Show what applying the domains file (or folder) at PATH would change.

    A dry run: reads the store, writes nothing to it. Every endpoint the plan would
    create or change is checked live (DNS, TCP, TLS and certificate, greeting,
    capabilities, optional login); the evidence goes into the plan. Exits 3 if a check
    failed, 4 if a gate would block the apply (naming the flag that lifts it). With
    $MAILCTL_PLAN_KEY set, the plan is signed, so that apply can trust its checks.

    \b
    Examples:
      mailctl plan domains.yaml
      mailctl plan domains/ --out plan.json --format markdown > comment.md
      mailctl plan domains.yaml --detailed-exitcode   # 0 none, 2 changes
    """
    lifted = lifted_gates(overrides)
    fetch = fetch_options_from(overrides)
    options = check_options_from(overrides)
    key = key_from_env(os.environ)
    input_view(fmt, path)
    with opened_store(state_url) as store, CheckProgress() as progress:
        document, loaded = service.plan(
            path, store, lifted, options, progress, fetch, credential_policy(), key=key
        )
    show_diagnostics(loaded.warnings, "github" if fmt == "github" else "text")
    click.echo(render(document, fmt), nl=False)
    _save(document, out)
    sys.exit(status.exit_status(document, detailed=detailed_exitcode))


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
def apply(
    source: Path,
    auto_approve: bool,
    actor: str | None,
    max_check_age: float,
    allowlist_dir: Path | None,
    formats: tuple[Format, ...],
    state_url: str | None,
    lock_timeout: float,
    **overrides: Any,
) -> None:
    """Apply a saved plan (a .json file from mailctl plan --out), or plan and apply PATH.

    A saved plan's target is applied exactly as reviewed. Its changes are computed
    again against the store: it is refused if the store changed since or the changes
    differ (stale), or if a gate blocks (exit 4); the gates are judged on that
    recomputation, never on what the plan file says. The plan's live checks are used
    only when the plan is signed with $MAILCTL_PLAN_KEY (a plan signed with another
    key is refused); otherwise the changed endpoints are checked again. Given a domains file or
    folder, mailctl plans, shows the plan and asks before applying (--auto-approve
    when there is no terminal). All changes land in one transaction, with a history
    entry naming the actor and the commit.

    \b
    Examples:
      mailctl apply plan.json
      mailctl apply domains.yaml --auto-approve --actor ci
    """
    lifted = lifted_gates(overrides)
    fetch = fetch_options_from(overrides)
    options = check_options_from(overrides)
    who = identity.actor(actor)
    key = key_from_env(os.environ)
    fresh = None
    with opened_store(state_url) as store, CheckProgress() as progress:
        if source.suffix == ".json" and source.is_file():
            document = service.read_plan(source, key)
            fresh = _recheck(document, key, options, max_check_age, progress)
        else:
            input_view("text", source)
            document, loaded = service.plan(
                source, store, lifted, options, progress, fetch, credential_policy()
            )
            show_diagnostics(loaded.warnings, "text")
            click.echo(render(document, "text"), nl=False)
            if not document.has_changes():
                _publish(store, allowlist_dir, formats)
                sys.exit(EXIT_OK)
            refused = status.exit_status(document)
            if refused != EXIT_OK:
                sys.exit(refused)  # shown above, with the flag that lifts each gate
            _confirm(auto_approve, store.display_url)
            fresh = document.checks  # just run, in this process
        result = service.apply(
            document,
            store,
            actor=who,
            commit=identity.commit(Path.cwd()),
            lifted=lifted,
            lock_timeout=lock_timeout,
            fresh_checks=fresh,
            key=key,
        )
        if result.serial is None:
            click.echo("No changes to apply.")
        else:
            summary = result.summary
            ranges = plural(summary.ranges_added + summary.ranges_removed, "range change")
            click.echo(
                f"Applied: serial {result.serial} ({summary.create} created, "
                f"{summary.update} updated, {summary.delete} deleted, {ranges})."
            )
        _publish(store, allowlist_dir, formats)


def _recheck(
    document: PlanDocument,
    key: PlanKey | None,
    options: CheckOptions | None,
    max_age: float,
    progress: CheckProgress,
) -> Checks | None:
    """Fresh evidence for a saved plan whose own is not authentic or too old; says why."""
    again = service.recheck(document, key, options, max_age, progress)
    if not again.reason:
        return None
    if again.checks is None:
        click.echo(
            f"The plan's live checks are not used: {again.reason}; with --no-checks "
            "they are not checked again.",
            err=True,
        )
        return None
    verdict = "failed" if again.checks.status == "failed" else "passed"
    click.echo(
        f"The plan's live checks are not used: {again.reason}; its changed endpoints "
        f"were checked again: {verdict}.",
        err=True,
    )
    return again.checks


def _publish(store: Store, out: Path | None, formats: tuple[Format, ...]) -> None:
    """Write the stored state's allowlists into ``out`` (when given). The store is
    already written: a failure here says so, and mailctl allowlist can be run again."""
    if out is None:
        return
    if store.read().lineage is None:
        click.echo("No allowlists written: the store is empty.")
        return
    try:
        write_allowlists(service.stored_allowlist(store), out, formats)
    except MailctlError as exc:
        again = f"mailctl allowlist --out {out} --format {','.join(f.name for f in formats)}"
        raise MailctlError(
            f"the store is as applied, but writing the allowlists failed: {exc}; once "
            f"that is mended, write them with: {again} (and the same --state)"
        ) from exc


def _confirm(auto_approve: bool, where: str) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise MailctlError(
            "refusing to apply without confirmation: no terminal to ask on; "
            "pass --auto-approve, or apply a saved plan"
        )
    if not click.confirm(f"Apply these changes to {where}?", default=False):
        click.echo("Nothing applied.", err=True)
        sys.exit(EXIT_ERROR)


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
    **overrides: Any,
) -> None:
    """Plan a return to the state recorded at SERIAL.

    The result is an ordinary plan: save it with --out and apply it with mailctl apply;
    it goes through the same stale check and gates as any other.

    \b
    Example:
      mailctl rollback --to 12 --out rollback.json && mailctl apply rollback.json
    """
    lifted = lifted_gates(overrides)
    options = check_options_from(overrides)
    key = key_from_env(os.environ)
    with opened_store(state_url) as store, CheckProgress() as progress:
        document = service.rollback(store, serial, lifted, options, progress, key)
    click.echo(render(document, fmt), nl=False)
    _save(document, out)
    sys.exit(status.exit_status(document, detailed=detailed_exitcode))

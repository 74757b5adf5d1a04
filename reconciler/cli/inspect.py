"""``mailctl show``, ``mailctl history`` and ``mailctl export``: read the store;
``mailctl show PLAN.json``: show a saved plan again."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import click

from reconciler.app import inspect as app
from reconciler.cli.boundary import input_view
from reconciler.cli.common import plural, state_option
from reconciler.plan.signing import PLAN_KEY_ENV, Trust, key_from_env
from reconciler.render import json_output

READ_FORMAT = click.Choice(["text", "json", "yaml"])
SHOW_FORMAT = click.Choice(["text", "json", "yaml", "markdown", "github"])
PLAN_ONLY = ("markdown", "github")
SHOWN_RANGES = 10  # a feed may bring thousands; the text view is for a person


@click.command()
@click.argument("plan", metavar="[PLAN.json]", required=False, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=SHOW_FORMAT,
    default="text",
    show_default=True,
    help="The stored state: text, json or yaml. A saved plan: text, markdown, json or "
    "github, as mailctl plan shows it.",
)
@state_option
def show(plan: Path | None, fmt: str, state_url: str | None) -> None:
    """Show the stored state: lineage, serial, connection ranges and every domain.

    Given PLAN.json (a plan saved with mailctl plan --out), show that plan again,
    exactly as plan showed it, without opening the store. It is read as apply reads it:
    refused if it was edited, or (with $MAILCTL_PLAN_KEY) signed with another key.

    \b
    Examples:
      mailctl show
      mailctl show plan.json --format markdown > comment.md
    """
    input_view(fmt, plan)
    if plan is not None:
        _show_plan(plan, fmt, state_url)
        return
    if fmt in PLAN_ONLY:
        raise click.UsageError(f"--format {fmt} shows a saved plan: mailctl show PLAN.json")
    result = app.show(app.ReadOptions(state_url))
    state, counts, where = result.state, result.inboxes, result.where
    if fmt == "yaml":
        from reconciler.desired.to_yaml import to_yaml  # ruamel.yaml: only this format needs it

        click.echo(to_yaml(state), nl=False)
        return
    if fmt == "json":
        click.echo(json_output.as_json(json_output.show_document(state, counts)))
        return
    click.echo(f"{where}: lineage {state.lineage}, serial {state.serial}")
    ranges = state.connection_ranges
    shown = ", ".join(ranges[:SHOWN_RANGES]) or "(none)"
    if len(ranges) > SHOWN_RANGES:
        shown += f", … ({len(ranges):,} in all; --format json lists every one)"
    click.echo(f"connection ranges: {shown}")
    click.echo(plural(len(state.domains), "domain") + ":")
    for name, d in state.domains.items():
        flags = [
            flag
            for flag, on in (
                ("static IPs", d.use_static_ip_addresses),
                ("non-secure certificate", d.allow_non_secure_certificate),
                ("pinned", bool(d.certificate_sha256)),
            )
            if on
        ]
        click.echo(
            f"  {name}: imap {d.imap.host}:{d.imap.port} {d.imap.security}, "
            f"smtp {d.smtp.host}:{d.smtp.port} {d.smtp.security}"
            + (f" [{', '.join(flags)}]" if flags else "")
            + f", {plural(counts.get(name, 0), 'inbox')}".replace("inboxs", "inboxes")
        )


def _show_plan(plan: Path, fmt: str, state_url: str | None) -> None:
    """The saved plan in ``fmt``, rendered as plan renders it; how far apply will trust
    its checks on standard error."""
    from reconciler.cli.plan_views import render

    if fmt == "yaml":
        raise click.UsageError("a saved plan is shown as text, markdown, json or github")
    if state_url is not None:
        raise click.UsageError("--state reads the store; a saved plan is shown from its file")
    shown = app.show_plan(app.ShowPlanOptions(plan, key_from_env(os.environ)))
    click.echo(render(shown.document, fmt), nl=False)
    click.echo(_trusted(shown), err=True)


def _trusted(shown: app.ShownPlan) -> str:
    if shown.trust is Trust.SIGNED:
        return f"Signature verified with ${PLAN_KEY_ENV}: apply uses its live checks while fresh."
    if shown.document.signature is not None:
        return f"Signed, but not verified: ${PLAN_KEY_ENV} is not set here."
    return "Not signed: apply checks the changed endpoints again."


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@state_option
def history(fmt: str, state_url: str | None) -> None:
    """List every apply: serial, time, actor, commit, plan checksum and counts, and
    for a rollback the serial it restored.

    Restore any of them with mailctl rollback --to SERIAL, then make Git follow with
    mailctl export --serial SERIAL --out domains.yaml.
    """
    input_view(fmt)
    entries = app.history(app.ReadOptions(state_url)).entries
    if fmt == "json":
        document = json_output.history_document(asdict(e) for e in entries)
        click.echo(json_output.as_json(document))
        return
    for e in entries:
        s = e.summary
        counts = (
            f"+{s.get('create', 0)} ~{s.get('update', 0)} -{s.get('delete', 0)}"
            f" ranges +{s.get('ranges_added', 0)}/-{s.get('ranges_removed', 0)}"
        )
        commit = e.commit[:12] if e.commit else "-"
        restored = "" if e.restored_serial is None else f"  restored serial {e.restored_serial}"
        click.echo(
            f"{e.serial:>6}  {e.applied_at}  {e.kind:<8}  {e.actor:<16}  {commit:<12}  {counts}"
            + restored
        )


@click.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (atomically) instead of standard output.",
)
@click.option(
    "--serial",
    type=click.IntRange(min=1),
    help="Export the state as applied at this serial (mailctl history lists them).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write over an --out file that mailctl export did not write.",
)
@state_option
def export(out: Path | None, serial: int | None, force: bool, state_url: str | None) -> None:
    """Write the stored state (or the state applied at --serial) as a domains.yaml.

    Adopts an account that was configured by hand: export it, commit the file, and
    from then on change it through pull requests. Planning the export shows no changes.
    After a rollback, --serial N --out domains.yaml gives the file to commit as the
    revert. An existing --out file is replaced only if mailctl export wrote it (its
    header comment says so), or with --force.
    """
    exported = app.export(app.ExportOptions(out, state_url, serial, force))
    if exported.out is None:
        click.echo(exported.text, nl=False)
        return
    click.echo(f"Wrote {exported.out}", err=True)

"""``mailctl lock status`` and ``mailctl lock release --force HOLDER_ID``."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from reconciler.cli.boundary import input_view
from reconciler.cli.common import state_option

if TYPE_CHECKING:
    from reconciler.app.lock import LockState


@click.group()
def lock() -> None:
    """See who holds the store's lock, and free a stuck one.

    An apply holds the lock from its plan to its last write. The system (SQLite) or the
    server (PostgreSQL) frees it when its holder exits, even when killed; a lock stays
    held only while its holder lives, or, on PostgreSQL, while the server still
    believes the holder's connection alive.
    """


def holder_text(state: LockState) -> str:
    if not state.held:
        return f"The store's lock is free ({state.where})."
    who = state.actor or "a mailctl that has not recorded itself yet"
    lines = [f"The store's lock is held by {who}."]
    if state.since is not None:
        lines.append(f"  since:     {state.since}")
    if state.pid is not None:
        lines.append(f"  process:   {state.pid} on {state.host}")
    lines.append(f"  lock:      {state.where}")
    if state.holder_id is not None:
        lines.append(f"  holder id: {state.holder_id}")
        lines.append(
            f"Free it (if its holder is stuck): mailctl lock release --force {state.holder_id}"
        )
    return "\n".join(lines)


@lock.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@state_option
def status(fmt: str, state_url: str | None) -> None:
    """Name the holder of the store's lock: who, since when, which process on which host."""
    from reconciler.app.lock import LockRequest, lock_status

    input_view(fmt)
    state = lock_status(LockRequest(state_url))
    if fmt == "json":
        summary = {"held": state.held}
        click.echo(json.dumps({"format_version": 1, "summary": summary, **asdict(state)}, indent=2))
    else:
        click.echo(holder_text(state))


@lock.command()
@click.argument("holder_id", metavar="HOLDER_ID")
@click.option("--force", is_flag=True, help="Required: freeing a lock ends its holder's hold.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@state_option
def release(holder_id: str, force: bool, yes: bool, state_url: str | None) -> None:
    """Free the store's lock held by HOLDER_ID (as `mailctl lock status` shows it).

    PostgreSQL: ends the holder's database session; its open transaction, if any, is
    rolled back, so nothing is half-applied. SQLite: the lock is a file lock of a live
    process, which no other process can take away; mailctl names the process to stop.
    """
    from reconciler.app.lock import LockRequest, lock_status, release_lock

    if not force:
        raise click.UsageError(
            "lock release needs --force: it takes the lock from the process holding it"
        )
    request = LockRequest(state_url)
    if not yes:
        click.echo(holder_text(lock_status(request)), err=True)
        click.confirm(f"Free the lock held by {holder_id}?", abort=True, err=True)
    before = release_lock(request, holder_id)
    click.echo(f"Freed the store's lock held by {before.actor or holder_id} ({before.where}).")

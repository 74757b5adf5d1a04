"""``mailctl inbox connect|list|disconnect``: inboxes that inherit their domain's settings."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reconciler.app import inbox as app
from reconciler.cli import inbox_verify
from reconciler.cli.boundary import input_view
from reconciler.cli.common import plural, state_option
from reconciler.desired.inbox import describe

FORMAT = click.Choice(["text", "json"])
FORMAT_VERSION = 1  # of both JSON documents: raised when a field changes meaning or goes away


def _spelled(entry: app.Listed | app.Connected) -> tuple[str, str]:
    """Address and domain as stored, each followed by its Unicode spelling when its
    domain has ``xn--`` labels: ``bob@xn--bcher-kva.example (bob@bücher.example)``."""
    address_unicode, domain_unicode = entry.unicode
    address, domain = entry.inbox.address, entry.inbox.domain
    if address_unicode != address:
        address = f"{address} ({address_unicode})"
    if domain_unicode != domain:
        domain = f"{domain} ({domain_unicode})"
    return address, domain


@click.group()
def inbox() -> None:
    """Connect, list and disconnect inboxes; each inherits its domain's settings.

    An inbox stores only its address and a reference to its domain, never a copy of
    the settings: the next apply that changes the domain changes what every one of its
    inboxes connects with (and plan shows how many inboxes each change touches).
    Inboxes are runtime data: connecting one does not bump the store's serial.

    \b
    Examples:
      mailctl inbox connect alice@example.com
      mailctl inbox connect alice@example.com --format json
      mailctl inbox list --domain example.com
      mailctl inbox disconnect alice@example.com
    """


@inbox.command()
@click.argument("address")
@click.option(
    "--format",
    "fmt",
    type=FORMAT,
    default="text",
    show_default=True,
    help="text for people; json for tools.",
)
@click.option(
    "--autoconfig",
    "autoconfig_sources",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Autoconfig XML file or folder (ISPDB format; repeatable) to suggest settings "
    f"from when the domain is not configured. Default: ${app.AUTOCONFIG_ENV} "
    f"(paths separated by '{os.pathsep}').",
)
@click.option(
    "--verify",
    "verifying",
    is_flag=True,
    help="Log in first (as inbox verify does) and connect only when that passes.",
)
@inbox_verify.verify_options
@state_option
def connect(
    address: str,
    fmt: str,
    autoconfig_sources: tuple[Path, ...],
    verifying: bool,
    build: Callable[[str, str | None], Any],
    state_url: str | None,
) -> None:
    """Connect the inbox ADDRESS and show the settings it inherits.

    The domain part of ADDRESS is normalised like a domain name (case, trailing dot,
    IDNA); the local part is kept exactly as given. The domain must be configured
    (applied to the store); if it is not, nothing is stored, the command exits 1 and,
    when the autoconfig data knows the domain, prints the entry to add to
    domains.yaml. Connecting an inbox twice is harmless. With --verify it first logs
    in to the domain's IMAP server (see mailctl inbox verify for the options) and,
    when that fails, stores nothing and exits 3.

    \b
    Examples:
      mailctl inbox connect alice@example.com
      mailctl inbox connect Bob@Bücher.example --format json
      mailctl inbox connect carol@gmail.com --autoconfig ispdb/
      mailctl inbox connect dave@example.com --verify --password-env MAIL_LOGIN_PASSWORD
    """
    input_view(fmt)
    if verifying:
        _connect_verified(build(address, state_url), fmt)
        return
    sources = autoconfig_sources or app.autoconfig_from_env(os.environ)
    done = app.connect(app.ConnectOptions(address, state_url, sources))
    if fmt == "json":
        summary = {"connected": int(done.new), "already_connected": int(not done.new)}
        document = {"format_version": FORMAT_VERSION, "summary": summary, **app.record(done)}
        click.echo(json.dumps({**document, "new": done.new}, indent=2))
        return
    verb = "Connected" if done.new else "Already connected"
    address, domain = _spelled(done)
    click.echo(f"{verb}: {address} (domain {domain}); it inherits:")
    for line in describe(done.domain):
        click.echo(f"  {line}")


def _connect_verified(options: Any, fmt: str) -> None:
    from reconciler.app.verify import connect_verified

    done = connect_verified(options)
    connected = done.connected
    if fmt == "json":
        more: dict[str, Any] = {"connected": None if connected is None else app.record(connected)}
        document = inbox_verify.document(done.verified, **more)
        click.echo(json.dumps(document, indent=2))
        sys.exit(done.status)
    click.echo("\n".join(inbox_verify.lines(done.verified)))
    if connected is None:
        click.echo("Not connected: the verification failed; nothing was stored.")
    else:
        verb = "Connected" if connected.new else "Already connected"
        shown, domain = _spelled(connected)
        click.echo(f"{verb}: {shown} (domain {domain}).")
    sys.exit(done.status)


@inbox.command(name="list")
@click.option("--domain", "only", metavar="DOMAIN", help="Only the inboxes of this domain.")
@click.option(
    "--format", "fmt", type=FORMAT, default="text", show_default=True, help="text or json."
)
@state_option
def list_(only: str | None, fmt: str, state_url: str | None) -> None:
    """List connected inboxes with the settings each resolves to now.

    An inbox whose domain was deleted (with --allow-delete-with-inboxes) is listed as
    not configured: it resolves to no settings until the domain is applied again
    (a rollback restores it).

    \b
    Examples:
      mailctl inbox list
      mailctl inbox list --domain example.com --format json
    """
    input_view(fmt)
    listed = app.list_inboxes(app.ListOptions(only, state_url))
    if fmt == "json":
        inboxes = [app.record(i) for i in listed.inboxes]
        summary = {
            "inboxes": len(inboxes),
            "not_configured": sum(1 for i in listed.inboxes if i.domain is None),
        }
        document = {"format_version": FORMAT_VERSION, "summary": summary, "inboxes": inboxes}
        click.echo(json.dumps(document, indent=2))
        return
    if not listed.inboxes:
        click.echo("No inboxes connected" + (f" for {listed.domain}." if listed.domain else "."))
        return
    for i in listed.inboxes:
        d = i.domain
        if d is None:
            settings = "domain not configured: no settings"
        else:
            settings = (
                f"imap {d.imap.host}:{d.imap.port} {d.imap.security}, "
                f"smtp {d.smtp.host}:{d.smtp.port} {d.smtp.security}"
            )
        address, domain = _spelled(i)
        click.echo(f"{address}  {domain}  {settings}  (connected {i.inbox.connected_at})")
    count = plural(len(listed.inboxes), "inbox", "inboxes")
    click.echo(f"{count}.", err=True)


@inbox.command()
@click.argument("address")
@state_option
def disconnect(address: str, state_url: str | None) -> None:
    """Disconnect the inbox ADDRESS.

    Write the local part as it was connected (it is kept exactly as given; the domain
    part is normalised). Exits 1 if no such inbox is connected.

    \b
    Example:
      mailctl inbox disconnect alice@example.com
    """
    done = app.disconnect(app.DisconnectOptions(address, state_url))
    click.echo(f"Disconnected {done.address}.")


inbox.add_command(inbox_verify.verify_command)

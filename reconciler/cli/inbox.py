"""``mailctl inbox connect|list|disconnect``: inboxes that inherit their domain's settings."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from reconciler.cli.common import opened_store, plural, state_option
from reconciler.desired.inbox import (
    Address,
    AddressProblem,
    describe,
    inherited,
    parse_address,
    resolve,
)
from reconciler.errors import InputError, Location, MailctlError
from reconciler.store.base import Inbox, StoreError

AUTOCONFIG_ENV = "MAILCTL_AUTOCONFIG"
FORMAT = click.Choice(["text", "json"])


def _address(raw: str) -> Address:
    try:
        return parse_address(raw)
    except AddressProblem as problem:
        raise InputError.single(Location("ADDRESS"), problem.message, problem.hint) from None


def _autoconfig_sources(given: tuple[Path, ...]) -> list[Path]:
    if given:
        return list(given)
    value = os.environ.get(AUTOCONFIG_ENV, "")
    return [Path(part) for part in value.split(os.pathsep) if part]


def _suggestion(domain: str, sources: list[Path]) -> str:
    """What the autoconfig data suggests for an unconfigured domain ('' if nothing)."""
    if not sources:
        return ""
    from reconciler.autoconfig import ispdb
    from reconciler.autoconfig.merge import render_new

    try:
        entry = ispdb.find(domain, sources)
    except InputError as exc:
        return f"\n(the autoconfig data could not be read: {exc.diagnostics[0]})"
    if entry is None:
        return f"\nThe autoconfig data ({', '.join(map(str, sources))}) does not know {domain}."
    text = render_new([entry])
    body = text[text.index("  ", text.index("domains:")) :]
    return (
        f"\nThe autoconfig data suggests ({entry.location}, provider {entry.provider}); add "
        f"this under 'domains:' in your domains.yaml, then plan and apply:\n\n{body}"
    )


def _record(inbox: Inbox, settings: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "address": inbox.address,
        "domain": inbox.domain,
        "connected_at": inbox.connected_at,
        "settings": settings,
    }


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
    f"from when the domain is not configured. Default: ${AUTOCONFIG_ENV} "
    f"(paths separated by '{os.pathsep}').",
)
@state_option
def connect(
    address: str, fmt: str, autoconfig_sources: tuple[Path, ...], state_url: str | None
) -> None:
    """Connect the inbox ADDRESS and show the settings it inherits.

    The domain part of ADDRESS is normalised like a domain name (case, trailing dot,
    IDNA); the local part is kept exactly as given. The domain must be configured
    (applied to the store); if it is not, nothing is stored, the command exits 1 and,
    when the autoconfig data knows the domain, prints the entry to add to
    domains.yaml. Connecting an inbox twice is harmless.

    \b
    Examples:
      mailctl inbox connect alice@example.com
      mailctl inbox connect Bob@Bücher.example --format json
      mailctl inbox connect carol@gmail.com --autoconfig ispdb/
    """
    parsed = _address(address)
    with opened_store(state_url) as store:
        state = store.read()
        domain = resolve(parsed.domain, state.domains)
        if domain is None:
            count = plural(len(state.domains), "domain")
            where = (
                "the store is empty (nothing applied yet)"
                if state.lineage is None
                else f"it is not among the {count} in {store.display_url}"
            )
            raise MailctlError(
                f"cannot connect {parsed}: domain {parsed.domain} is not configured; {where}. "
                "Add it to domains.yaml, then mailctl plan and apply."
                + _suggestion(parsed.domain, _autoconfig_sources(autoconfig_sources))
            )
        already = any(i.address == str(parsed) for i in store.inboxes(parsed.domain))
        try:
            record = store.connect_inbox(str(parsed), parsed.domain)
        except StoreError as exc:
            raise MailctlError(
                f"cannot connect {parsed}: {exc} (mailctl inbox disconnect {parsed})"
            ) from None
    if fmt == "json":
        click.echo(json.dumps({**_record(record, inherited(domain)), "new": not already}, indent=2))
        return
    verb = "Already connected" if already else "Connected"
    click.echo(f"{verb}: {record.address} (domain {record.domain}); it inherits:")
    for line in describe(domain):
        click.echo(f"  {line}")


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
    domain_filter = None
    if only is not None:
        from reconciler.desired import names

        try:
            domain_filter = names.normalise_domain(only)
        except names.NameProblem as problem:
            raise InputError.single(Location("--domain"), problem.message, problem.hint) from None
    with opened_store(state_url) as store:
        inboxes = store.inboxes(domain_filter)
        domains = store.read().domains if inboxes else {}
    resolved = [(i, resolve(i.domain, domains)) for i in inboxes]
    if fmt == "json":
        records = [_record(i, inherited(d) if d else None) for i, d in resolved]
        click.echo(json.dumps(records, indent=2))
        return
    if not resolved:
        click.echo("No inboxes connected" + (f" for {domain_filter}." if domain_filter else "."))
        return
    for i, d in resolved:
        if d is None:
            settings = "domain not configured: no settings"
        else:
            settings = (
                f"imap {d.imap.host}:{d.imap.port} {d.imap.security}, "
                f"smtp {d.smtp.host}:{d.smtp.port} {d.smtp.security}"
            )
        click.echo(f"{i.address}  {i.domain}  {settings}  (connected {i.connected_at})")
    count = plural(len(resolved), "inbox", "inboxes")
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
    parsed = _address(address)
    with opened_store(state_url) as store:
        removed = store.disconnect_inbox(str(parsed))
    if not removed:
        raise MailctlError(
            f"no inbox {parsed} is connected (the local part must match exactly; "
            "mailctl inbox list shows them)"
        )
    click.echo(f"Disconnected {parsed}.")

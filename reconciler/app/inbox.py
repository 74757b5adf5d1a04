"""``inbox``: connect, list and disconnect inboxes that inherit their domain's settings.

An inbox stores only its address and its domain's name; the settings it connects with
are always its domain's current ones.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.app.store import applied, opened
from reconciler.desired import names
from reconciler.desired.inbox import (
    Address,
    AddressProblem,
    inherited,
    parse_address,
    resolve,
    unicode_address,
)
from reconciler.desired.model import Domain
from reconciler.errors import InputError, Location, MailctlError
from reconciler.plan.status import EXIT_OK
from reconciler.store.base import Inbox, StoreError

AUTOCONFIG_ENV = "MAILCTL_AUTOCONFIG"


class DomainNotConfigured(MailctlError):
    """The address's (or the asked) domain is not among the applied domains."""


class FiledElsewhere(MailctlError):
    """The address is connected already, filed under another domain."""


class NotConnected(MailctlError):
    """No inbox of that address is connected."""


def autoconfig_from_env(env: Mapping[str, str]) -> tuple[Path, ...]:
    """The autoconfig sources named by ``$MAILCTL_AUTOCONFIG`` (``os.pathsep``-separated)."""
    return tuple(Path(part) for part in env.get(AUTOCONFIG_ENV, "").split(os.pathsep) if part)


@dataclass(frozen=True)
class ConnectOptions:
    """Connect ``address``; when its domain is not configured, suggest the entry the
    autoconfig data (ISPDB files or folders) has for it."""

    address: str
    state_url: str | None = None
    autoconfig: tuple[Path, ...] = ()


def _spelled(inbox: Inbox) -> tuple[str, str]:
    return unicode_address(inbox.address), names.to_unicode(inbox.domain)


@dataclass(frozen=True)
class Connected:
    inbox: Inbox
    domain: Domain  # the settings it inherits now
    new: bool  # False: it was connected already
    status: int = EXIT_OK

    @property
    def unicode(self) -> tuple[str, str]:
        """Address and domain with the domain's ``xn--`` labels in Unicode."""
        return _spelled(self.inbox)


@dataclass(frozen=True)
class ListOptions:
    """List the connected inboxes, only those of ``domain`` when given."""

    domain: str | None = None
    state_url: str | None = None


@dataclass(frozen=True)
class Listed:
    inbox: Inbox
    domain: Domain | None  # None: its domain is not configured (deleted)

    @property
    def unicode(self) -> tuple[str, str]:
        """Address and domain with the domain's ``xn--`` labels in Unicode."""
        return _spelled(self.inbox)


def record(entry: Listed | Connected) -> dict[str, Any]:
    """An inbox and the settings it resolves to (None: its domain is not configured), as
    both faces publish it; ``address_unicode``/``domain_unicode`` spell an ``xn--``
    domain in Unicode (equal to ``address``/``domain`` when it has none)."""
    address_unicode, domain_unicode = entry.unicode
    return {
        "address": entry.inbox.address,
        "address_unicode": address_unicode,
        "domain": entry.inbox.domain,
        "domain_unicode": domain_unicode,
        "connected_at": entry.inbox.connected_at,
        "settings": inherited(entry.domain) if entry.domain else None,
    }


@dataclass(frozen=True)
class InboxList:
    domain: str | None  # the filter, normalised
    inboxes: tuple[Listed, ...]
    status: int = EXIT_OK


@dataclass(frozen=True)
class DisconnectOptions:
    address: str
    state_url: str | None = None


@dataclass(frozen=True)
class Disconnected:
    address: str  # as normalised
    status: int = EXIT_OK


def _plural(count: int, word: str) -> str:
    return f"{count} {word if count == 1 else word + 's'}"


def address(raw: str) -> Address:
    """``raw`` parsed; InputError (naming ADDRESS, with a hint) if it is not one."""
    try:
        return parse_address(raw)
    except AddressProblem as problem:
        raise InputError.single(Location("ADDRESS"), problem.message, problem.hint) from None


def connect(options: ConnectOptions) -> Connected:
    """Connect the inbox; connecting it twice is harmless. Nothing is stored and
    MailctlError is raised when its domain is not configured (with the autoconfig
    suggestion, if any) or the address is filed under another domain."""
    parsed = address(options.address)
    with opened(options.state_url) as store:
        state = store.read()
        domain = resolve(parsed.domain, state.domains)
        if domain is None:
            count = _plural(len(state.domains), "domain")
            where = (
                "the store is empty (nothing applied yet)"
                if state.lineage is None
                else f"it is not among the {count} in {store.display_url}"
            )
            raise DomainNotConfigured(
                f"cannot connect {parsed}: domain {parsed.domain} is not configured; {where}. "
                "Add it to domains.yaml, then mailctl plan and apply."
                + suggestion(parsed.domain, options.autoconfig)
            )
        already = any(i.address == str(parsed) for i in store.inboxes(parsed.domain))
        try:
            record = store.connect_inbox(str(parsed), parsed.domain)
        except StoreError as exc:
            raise FiledElsewhere(
                f"cannot connect {parsed}: {exc} (mailctl inbox disconnect {parsed})"
            ) from None
    return Connected(record, domain, new=not already)


def suggestion(domain: str, sources: tuple[Path, ...]) -> str:
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


def list_inboxes(options: ListOptions) -> InboxList:
    """Every connected inbox (of one domain) with the domain it resolves to now;
    NoStore when nothing was applied at ``options.state_url``. MailctlError when the
    domain asked for is not configured and no inbox is filed under it (a typo, most
    likely); the inboxes of a deleted domain are listed, as not configured."""
    only = None
    if options.domain is not None:
        try:
            only = names.normalise_domain(options.domain)
        except names.NameProblem as problem:
            raise InputError.single(Location("--domain"), problem.message, problem.hint) from None
    with applied(options.state_url) as (store, state):
        inboxes = store.inboxes(only)
        domains = state.domains
        if only is not None and not inboxes and resolve(only, domains) is None:
            shown = names.to_unicode(only)
            spelled = only if shown == only else f"{only} ({shown})"
            raise DomainNotConfigured(
                f"domain {spelled} is not configured: it is not among the "
                f"{_plural(len(domains), 'domain')} in {store.display_url}, and no inbox "
                "is filed under it (mailctl show lists the configured domains)"
            )
    return InboxList(only, tuple(Listed(i, resolve(i.domain, domains)) for i in inboxes))


def disconnect(options: DisconnectOptions) -> Disconnected:
    """Disconnect the inbox; MailctlError if no such inbox is connected (the local part
    must match exactly)."""
    parsed = address(options.address)
    with opened(options.state_url) as store:
        removed = store.disconnect_inbox(str(parsed))
    if not removed:
        raise NotConnected(
            f"no inbox {parsed} is connected (the local part must match exactly; "
            "mailctl inbox list shows them)"
        )
    return Disconnected(str(parsed))

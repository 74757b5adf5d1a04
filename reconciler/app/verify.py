"""``inbox verify`` and ``inbox connect --verify``: log in to an inbox's IMAP server
with the settings its domain resolves to in the store, and report what a connector
needs (folders, INBOX message count and UIDVALIDITY, IDLE, quota).

Credentials come from environment variables the operator names: the password from
``password_env`` (required), the user name from ``username_env``, or the address
itself when none is named (most providers log in with it). Both names are judged by
the credential policy (``MAILCTL_CREDENTIAL_ENV``) as a domains file's are. A name
refused, or a variable unset or empty, is an input error naming the variable; the
password's value appears in no result, message or log.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.app.inbox import Connected, ConnectOptions, DomainNotConfigured, NotConnected
from reconciler.app.inbox import address as parsed_address
from reconciler.app.inbox import connect as connect_inbox
from reconciler.app.options import Targets
from reconciler.app.store import opened
from reconciler.desired.credential_env import SETTING, CredentialPolicy
from reconciler.desired.inbox import resolve
from reconciler.desired.model import Domain
from reconciler.errors import InputError, Location
from reconciler.mailbox.reasons import Problem
from reconciler.mailbox.run import Endpoint, Outcome, Reaching, verify_inbox
from reconciler.mailbox.session import Login, Mailbox
from reconciler.net.resolver import Resolver, system_resolver
from reconciler.plan.status import EXIT_CHECK_FAILED, EXIT_OK

DEFAULT_DEADLINE = 30.0


@dataclass(frozen=True)
class VerifyOptions:
    """Verify the inbox ``address``: the password is read from ``password_env``, the
    user name from ``username_env`` (None: the address). ``allow_plaintext_login``
    lets a domain with security ``none`` send the password unencrypted."""

    address: str
    password_env: str
    username_env: str | None = None
    state_url: str | None = None
    targets: Targets = field(default_factory=Targets)
    deadline: float = DEFAULT_DEADLINE
    allow_plaintext_login: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    resolver: Resolver = system_resolver


@dataclass(frozen=True)
class Verified:
    address: str
    domain: Domain
    username_from: str  # "$NAME", or "the address"
    outcome: Outcome

    @property
    def mailbox(self) -> Mailbox | None:
        return self.outcome.mailbox

    @property
    def problem(self) -> Problem | None:
        return self.outcome.problem

    @property
    def status(self) -> int:
        """0 when the login and every mailbox step passed, 3 otherwise."""
        return EXIT_OK if self.outcome.problem is None else EXIT_CHECK_FAILED


@dataclass(frozen=True)
class ConnectedAndVerified:
    verified: Verified
    connected: Connected | None  # None: the verification failed, nothing was stored

    @property
    def status(self) -> int:
        return self.verified.status


def _variable(option: str, name: str, policy: CredentialPolicy, env: Mapping[str, str]) -> str:
    where = Location(option)
    refused = policy.refusal(option, name)
    if refused is not None:
        raise InputError.single(where, *refused)
    value = env.get(name)
    if not value:
        raise InputError.single(
            where,
            f"the environment variable {name} is {'empty' if value == '' else 'not set'}",
            f"set {name} in the environment mailctl runs in (the value is never printed)",
        )
    return value


def login_from(options: VerifyOptions, address: str) -> tuple[Login, str]:
    """The login and where its user name came from; InputError naming the variable."""
    try:
        policy = CredentialPolicy.from_env(options.env)
    except InputError as error:
        raise InputError.single(Location(f"${SETTING}"), error.diagnostics[0].message) from None
    password = _variable("--password-env", options.password_env, policy, options.env)
    if options.username_env is None:
        return Login(address, password), "the address"
    username = _variable("--username-env", options.username_env, policy, options.env)
    return Login(username, password), f"${options.username_env}"


def _domain(options: VerifyOptions, *, connected: bool) -> tuple[str, Domain]:
    parsed = parsed_address(options.address)
    with opened(options.state_url) as store:
        state = store.read()
        domain = resolve(parsed.domain, state.domains)
        if connected and not any(i.address == str(parsed) for i in store.inboxes(parsed.domain)):
            raise NotConnected(
                f"no inbox {parsed} is connected (mailctl inbox connect {parsed} --verify "
                "connects and verifies it; mailctl inbox list shows those connected)"
            )
        shown = store.display_url
    if domain is None:
        raise DomainNotConfigured(
            f"cannot verify {parsed}: domain {parsed.domain} is not configured in {shown}. "
            "Add it to domains.yaml, then mailctl plan and apply."
        )
    return str(parsed), domain


def _verify(options: VerifyOptions, address: str, domain: Domain) -> Verified:
    login, source = login_from(options, address)
    targets = options.targets
    reaching = Reaching(
        allow_private=targets.allow_private,
        pinned=targets.pinned,
        ca_file=None if targets.ca_file is None else str(targets.ca_file),
        allow_plaintext_login=options.allow_plaintext_login,
        deadline=options.deadline,
    )
    endpoint = Endpoint(
        domain.imap.host,
        domain.imap.port,
        domain.imap.security,
        allow_non_secure=domain.allow_non_secure_certificate,
        pin=domain.certificate_sha256,
    )
    return Verified(
        address, domain, source, verify_inbox(endpoint, login, reaching, options.resolver)
    )


def verify(options: VerifyOptions) -> Verified:
    """Verify a connected inbox. MailctlError (exit 1) when it is not connected, its
    domain is not configured or a credential variable is refused, unset or empty;
    otherwise a :class:`Verified`, whose status is 3 when the verification failed."""
    address, domain = _domain(options, connected=True)
    return _verify(options, address, domain)


def connect_verified(options: VerifyOptions) -> ConnectedAndVerified:
    """Verify the inbox with its domain's settings, then connect it; when the
    verification fails nothing is stored (status 3)."""
    address, domain = _domain(options, connected=False)
    verified = _verify(options, address, domain)
    if verified.problem is not None:
        return ConnectedAndVerified(verified, None)
    return ConnectedAndVerified(verified, connect_inbox(ConnectOptions(address, options.state_url)))

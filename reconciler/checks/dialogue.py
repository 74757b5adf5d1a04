"""What the engine asks of a protocol (IMAP, SMTP), and the credentials it may use."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from reconciler.checks.session import Connection, Trace
from reconciler.desired.credential_env import SETTING, CredentialPolicy
from reconciler.errors import InputError
from reconciler.plan.evidence import CheckTarget


@dataclass(frozen=True)
class Credentials:
    """A user name and password read from the environment. The password never shows
    in ``repr`` and is scrubbed from any server text a result quotes."""

    username: str
    password: str = field(repr=False)
    source: str = field(default="", repr=True)

    def secret_forms(self) -> tuple[str, ...]:
        """Every form in which the password crosses the wire (for scrubbing, which
        ignores letter case): as is, and base64 as AUTH PLAIN and AUTH LOGIN send it,
        with and without its ``=`` padding."""
        plain = f"\0{self.username}\0{self.password}".encode()
        encoded = [
            base64.b64encode(plain).decode(),
            base64.b64encode(self.password.encode()).decode(),
        ]
        return (self.password, *encoded, *(e.rstrip("=") for e in encoded))


def credentials_for(target: CheckTarget, env: Mapping[str, str]) -> Credentials | str | None:
    """Credentials when the target names both variables, ``env``'s credential policy
    (``MAILCTL_CREDENTIAL_ENV``) allows both and both are set; a sentence (for a
    warning) otherwise; None when none are named.

    The loader refuses names the policy refuses, but a target may come from elsewhere
    (a stored state, a saved plan): a refused name is never read, whatever its source.
    """
    if target.username_env is None or target.password_env is None:
        return None
    try:
        policy = CredentialPolicy.from_env(env)
    except InputError as error:
        return f"login not checked: {SETTING}: {error.diagnostics[0].message}"
    for key, name in (
        ("username_env", target.username_env),
        ("password_env", target.password_env),
    ):
        refused = policy.refusal(f"credentials.{key}", name)
        if refused is not None:
            return f"login not checked: {refused[0]}"
    username = env.get(target.username_env)
    password = env.get(target.password_env)
    if not username or not password:
        return (
            f"login not checked: set {target.username_env} and {target.password_env} "
            "in the environment to check it"
        )
    return Credentials(username, password, f"${target.username_env}")


class Dialogue(Protocol):
    """The steps of one protocol. Each raises ``CheckFailure`` with a person's message
    and records what it learns in the trace. One instance serves one connection."""

    async def greeting(self, conn: Connection, trace: Trace) -> None: ...

    async def capabilities(self, conn: Connection, trace: Trace) -> None: ...

    async def starttls(self, conn: Connection, trace: Trace) -> None:
        """Check STARTTLS is advertised, ask for it; the engine then does the handshake."""
        ...

    async def login(self, conn: Connection, trace: Trace, credentials: Credentials) -> None: ...

    async def logout(self, conn: Connection, trace: Trace) -> None: ...

    def plaintext_login_refused(self) -> bool:
        """The server refuses logins on this (unencrypted) connection."""
        ...

"""How the tests run one check: loopback allowed, names from a table, never DNS."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from reconciler.checks.endpoint import check_endpoint
from reconciler.net.resolver import static_resolver
from reconciler.plan.evidence import CheckResult, CheckTarget
from tests.checks import servers
from tests.checks.pki import Pki

# Every name the tests use resolves to loopback through this table, never through DNS.
NAMES: Mapping[str, tuple[str, ...]] = {
    "imap.test.example": ("127.0.0.1",),
    "imap2.test.example": ("127.0.0.2",),  # Dovecot answers LOGINDISABLED here
    "smtp.test.example": ("127.0.0.1",),
    "mail.other.example": ("127.0.0.1",),
}
RESOLVER = static_resolver(NAMES)


def imap(
    port: int, security: str = "ssl", host: str = "imap.test.example", **more: Any
) -> CheckTarget:
    return CheckTarget(protocol="imap", host=host, port=port, security=security, **more)


def smtp(
    port: int, security: str = "starttls", host: str = "smtp.test.example", **more: Any
) -> CheckTarget:
    return CheckTarget(protocol="smtp", host=host, port=port, security=security, **more)


def run_check(target: CheckTarget, pki: Pki | None = None, **options: Any) -> CheckResult:
    """One check against loopback test servers; ``pki`` supplies the test CA file."""
    options.setdefault("allow_private", True)
    options.setdefault("resolver", RESOLVER)
    options.setdefault("env", {})
    options.setdefault("deadline", 10.0)
    options.setdefault("step_timeout", 5.0)
    if pki is not None:
        options.setdefault("ca_file", pki.ca_file)
    return asyncio.run(check_endpoint(target, **options))


def login_env(user: str) -> dict[str, str]:
    return {
        "MAIL_LOGIN_USER": user,
        "MAIL_LOGIN_PASSWORD": servers.USERS.get(user, "not-the-password"),
    }


CREDENTIALS = {"username_env": "MAIL_LOGIN_USER", "password_env": "MAIL_LOGIN_PASSWORD"}


class Recorder:
    """A progress sink that keeps every endpoint's result."""

    def __init__(self) -> None:
        self.results: list[CheckResult] = []

    def start(self, total: int) -> None:
        pass

    def __call__(self, result: CheckResult) -> None:
        self.results.append(result)

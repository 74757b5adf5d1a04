"""Stores and options for the inbox verification tests (the servers: conftest.py)."""

from __future__ import annotations

from pathlib import Path

from reconciler.app.inbox import ConnectOptions, connect
from reconciler.app.options import Targets
from reconciler.app.verify import VerifyOptions
from tests.app_support import seeded
from tests.checks import servers
from tests.checks.pki import Pki
from tests.store.requests import domain

HOST = "imap.test.example"  # the name the CA-signed certificate is for
DELIVERED = 3  # messages in alice's INBOX
CAROL = ("carol@test.example", "carol-in-the-address")  # logs in with her address

ALICE_ENV = {"MAIL_LOGIN_USER": "alice", "MAIL_LOGIN_PASSWORD": servers.USERS["alice"]}


def store_with(
    folder: Path,
    port: int,
    security: str,
    *,
    insecure: bool = False,
    pin: str | None = None,
    connected: tuple[str, ...] = ("alice@test.example",),
) -> str:
    """A store where test.example has its IMAP server at ``imap.test.example:port``,
    with ``connected`` inboxes."""
    url = seeded(
        folder, [domain("test.example", port=port, security=security, insecure=insecure, pin=pin)]
    )
    for address in connected:
        connect(ConnectOptions(address, url))
    return url


def options(
    url: str,
    pki: Pki,
    *,
    address: str = "alice@test.example",
    to: str = "127.0.0.1",
    env: dict[str, str] | None = None,
    username_env: str | None = "MAIL_LOGIN_USER",
    allow_private: bool = True,
    **more: object,
) -> VerifyOptions:
    """Verify ``address`` at ``imap.test.example`` pinned to ``to``, trusting the test CA."""
    targets = Targets(allow_private=allow_private, ca_file=pki.ca_file, pinned={HOST: [to]})
    return VerifyOptions(
        address,
        "MAIL_LOGIN_PASSWORD",
        username_env,
        url,
        targets,
        env=ALICE_ENV if env is None else env,
        **more,  # type: ignore[arg-type]
    )

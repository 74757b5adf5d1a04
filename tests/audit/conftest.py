"""Audit fixtures: the check tests' real servers (Dovecot, a trustme CA), aiosmtpd that
can be swapped on one port between audits, and stores on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from reconciler.app.options import CheckOptions
from reconciler.desired.model import Domain
from reconciler.store.open import open_store
from tests import pgcluster
from tests.checks import servers
from tests.checks.conftest import dovecots, pki  # noqa: F401 - session fixtures shared
from tests.checks.pki import Pair, Pki
from tests.store.requests import request

IMAP_HOST = "imap.test.example"
SMTP_HOST = "smtp.test.example"


@contextmanager
def smtp_at(port: int, starttls: Pair | None) -> Iterator[int]:
    """aiosmtpd on ``port``: with STARTTLS (``starttls``'s certificate) or without."""
    options: dict[str, Any] = {}
    if starttls is not None:
        options.update(tls_context=servers.server_context(starttls), require_starttls=True)
    controller = Controller(servers._Sink(), hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def mail_domain(
    name: str, imap_port: int, smtp_port: int, *, pin: str | None = None, **more: Any
) -> Domain:
    return Domain.model_validate(
        {
            "name": name,
            "imap": {"host": IMAP_HOST, "port": imap_port, "security": "ssl"},
            "smtp": {"host": SMTP_HOST, "port": smtp_port, "security": "starttls"},
            "allow_non_secure_certificate": pin is not None,
            "certificate_sha256": pin,
            **more,
        }
    )


def loopback(ca: Pki) -> CheckOptions:
    return CheckOptions(
        allow_private=True,
        ca_file=ca.ca_file,
        deadline=15.0,
        pinned={IMAP_HOST: ["127.0.0.1"], SMTP_HOST: ["127.0.0.1"]},
        env={},
    )


def seed(url: str, domains: list[Domain]) -> None:
    store = open_store(url)
    try:
        store.apply(request(store.read(), domains, actor="seed"))
    finally:
        store.close()


@pytest.fixture(params=("sqlite", "postgresql"))
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL where no store exists yet, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    cluster: pgcluster.Cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"

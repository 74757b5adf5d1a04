"""Session-wide real servers for the check tests (see servers.py)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.store.base import Store
from reconciler.store.open import open_store
from tests.checks import servers
from tests.checks.pki import Pki, make_pki


@dataclass(frozen=True)
class Dovecots:
    good: servers.Dovecot  # CA-signed; STARTTLS on plain_port, implicit TLS on tls_port
    self_signed: servers.Dovecot
    expired: servers.Dovecot
    wrong_host: servers.Dovecot
    no_tls: servers.Dovecot  # ssl = no: never advertises STARTTLS


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def dovecots(pki: Pki) -> Iterator[Dovecots]:
    # Not under pytest's temporary directory: that is private to its owner (0700), and
    # Dovecot's auth process, running as the dovecot user, must read the passwd-file.
    root = Path(tempfile.mkdtemp(prefix="mailctl-dovecot-"))
    root.chmod(0o755)
    started: list[servers.Dovecot] = []

    def start(name: str, pair: Any) -> servers.Dovecot:
        started.append(servers.start_dovecot(root / name, pair))
        return started[-1]

    try:
        yield Dovecots(
            good=start("good", pki.good),
            self_signed=start("self-signed", pki.self_signed),
            expired=start("expired", pki.expired),
            wrong_host=start("wrong-host", pki.wrong_host),
            no_tls=start("no-tls", None),
        )
    finally:
        servers.stop_dovecots(started)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty SQLite store of the test's own."""
    opened = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        yield opened
    finally:
        opened.close()

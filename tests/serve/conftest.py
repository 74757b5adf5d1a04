"""Serve fixtures: a store with applied domains on SQLite and on PostgreSQL (a fresh
database in the throwaway cluster), and the application reading it read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.store.open import open_store
from tests import pgcluster
from tests.store.requests import domain
from tests.store.requests import request as apply_request

RANGES = ("192.0.2.0/24", "2001:db8::/48")
DOMAINS = (
    domain("example.com", static=True),
    domain("plain.example"),
    domain("xn--bcher-kva.example", insecure=True, credentials=True),
)


@pytest.fixture(params=("sqlite", "postgresql"))
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store with :data:`DOMAINS` and :data:`RANGES` applied once (serial 1)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store' / 'state.db'}"
    else:
        cluster: pgcluster.Cluster = request.getfixturevalue("pg_cluster")
        url = cluster.create_database()
    store = open_store(url)
    try:
        store.apply(apply_request(store.read(), DOMAINS, RANGES, actor="seed"))
    finally:
        store.close()
    return url

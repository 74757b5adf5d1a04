"""Store fixtures: every contract test runs against a fresh SQLite file and a fresh
PostgreSQL database in a throwaway cluster started once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.store.base import Store
from reconciler.store.open import open_store
from tests import pgcluster

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL where no store exists yet (SQLite: not even its directory)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'state.db'}"
    cluster: pgcluster.Cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()

"""Inbox fixtures: the inbox commands run against a fresh SQLite file and a fresh
PostgreSQL database (a throwaway cluster started once for this folder's tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import pgcluster


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL where no store exists yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    cluster: pgcluster.Cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database()


@pytest.fixture
def sqlite_state(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"

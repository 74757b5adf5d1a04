"""Look at a store's database directly, below the store interface (for assertions)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection


def sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    """A plain SQLAlchemy connection in a transaction that commits on success."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted: equal dumps mean nothing was written."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return {}
    with connect(url) as conn:
        return {
            table: sorted(
                (tuple(row) for row in conn.execute(text(f'SELECT * FROM "{table}"'))), key=repr
            )
            for table in sorted(inspect(conn).get_table_names())
        }


def table_names(url: str) -> list[str]:
    with connect(url) as conn:
        return sorted(inspect(conn).get_table_names())

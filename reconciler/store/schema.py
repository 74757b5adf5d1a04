"""The store's schema revision, checked and upgraded with Alembic, programmatically.

The migrations ship inside the package (``migrations/``); no ``alembic.ini`` is read.
Every function takes a connection that is already inside the caller's transaction, so
an upgrade commits together with the write that needed it, or not at all.

Alembic keeps the revision in its own table, named for mailctl so that a PostgreSQL
database shared with another Alembic-managed application never mixes the two.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection

from reconciler.store.base import StoreError, StoreTooNew

VERSION_TABLE = "mailctl_schema_version"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code, running on ``connection`` if given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision this mailctl knows."""
    revision = _scripts().get_current_head()
    if revision is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError(f"no schema revisions in {MIGRATIONS}")
    return revision


def first() -> str:
    """The oldest revision (what the first release created)."""
    bases = _scripts().get_bases()
    return bases[0]


def current(conn: Connection) -> str | None:
    """The store's revision; None when it has no schema yet. Reads only."""
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    heads = context.get_current_heads()
    if len(heads) > 1:
        raise StoreError(f"the store schema has several revisions at once: {', '.join(heads)}")
    return heads[0] if heads else None


def is_known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def refuse_unknown(revision: str | None, display_url: str) -> None:
    """Raise StoreTooNew when a newer mailctl wrote the schema: nothing must touch it."""
    if revision is not None and not is_known(revision):
        raise StoreTooNew(
            f"the store at {display_url} has schema revision {revision}, which is newer than "
            f"this mailctl knows (up to {head()}); upgrade mailctl to use this store. "
            "Nothing was written to it."
        )


def upgrade(conn: Connection, display_url: str, target: str = "head") -> str | None:
    """Bring the schema to ``target`` inside the caller's transaction.

    Creates the schema on a store that has none. Returns the revision found before.
    Raises StoreTooNew, before any write, when the revision is unknown.
    """
    found = current(conn)
    refuse_unknown(found, display_url)
    wanted = head() if target == "head" else target
    if found != wanted:
        command.upgrade(alembic_config(conn), wanted)
    return found

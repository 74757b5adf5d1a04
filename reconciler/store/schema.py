"""The store's schema revision: checked cheaply, upgraded with Alembic, programmatically.

The migrations ship inside the package (``migrations/``); no ``alembic.ini`` is read.
Every function takes a connection that is already inside the caller's transaction, so
an upgrade commits together with the write that needed it, or not at all.

Alembic keeps the revision in its own table, named for mailctl so that a PostgreSQL
database shared with another Alembic-managed application never mixes the two.

Alembic costs a command a good part of its start-up (its import and reading the
revision scripts), so it is imported only when a migration is due or a revision is
not the head: the revision is read with SQLAlchemy Core and compared with
``migrations.HEAD``, which a test keeps equal to what Alembic computes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection

from reconciler.store.base import StoreError, StoreTooNew
from reconciler.store.migrations import HEAD

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

VERSION_TABLE = "mailctl_schema_version"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Alembic's version table as Alembic creates it; only read here.
_VERSION = Table(
    VERSION_TABLE, MetaData(), Column("version_num", String(32), nullable=False, primary_key=True)
)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code, running on ``connection`` if given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision this mailctl knows (without asking Alembic)."""
    return HEAD


def scripted_head() -> str:
    """The newest revision as Alembic computes it from the revision scripts."""
    revision = _scripts().get_current_head()
    if revision is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError(f"no schema revisions in {MIGRATIONS}")
    return revision


def first() -> str:
    """The oldest revision (what the first release created)."""
    bases = _scripts().get_bases()
    return bases[0]


def current(conn: Connection) -> str | None:
    """The store's revision; None when it has no schema yet. Reads only.

    Reads the version table as Alembic's ``MigrationContext.get_current_heads`` does
    (the table in the connection's default schema, absent meaning no schema).
    """
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    heads = tuple(conn.execute(select(_VERSION.c.version_num)).scalars())
    if len(heads) > 1:
        raise StoreError(f"the store schema has several revisions at once: {', '.join(heads)}")
    return heads[0] if heads else None


def is_known(revision: str) -> bool:
    if revision == HEAD:
        return True
    from alembic.util import CommandError

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
    if found is None and wanted == head():
        create(conn)
    elif found != wanted:
        from alembic import command

        command.upgrade(alembic_config(conn), wanted)
    return found


def create(conn: Connection) -> None:
    """The newest schema on a store that has none, as Alembic's documentation suggests
    for an empty database: the tables from the metadata, stamped with the head revision.
    The migrations make the same tables (a test compares the two on both backends);
    running them costs ~10 ms of a first apply, most of it Alembic loading its scripts."""
    from reconciler.store.tables import metadata

    metadata.create_all(conn)
    # As Alembic makes its version table (alembic.runtime.migration), its key's name too.
    stamp = Table(
        VERSION_TABLE,
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
    )
    stamp.create(conn)
    conn.execute(insert(stamp).values(version_num=head()))

"""Choosing and opening a store from a URL.

Accepted URLs:

* ``sqlite:///relative/path.db`` (relative to the working directory) or
  ``sqlite:////absolute/path.db``;
* ``postgresql://user[:password]@host[:port]/database`` or ``postgresql+psycopg://…``
  (both use psycopg 3; libpq query options such as ``?sslmode=require`` pass through).

Where the URL comes from, first found wins: ``--state URL``, the ``MAILCTL_STATE``
environment variable, ``sqlite:///<working directory>/.mailctl/state.db``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from reconciler.store.backends import Backend, PostgresBackend, SqliteBackend
from reconciler.store.base import Store, StoreError
from reconciler.store.sql import SqlStore

ENV_VAR = "MAILCTL_STATE"
ACCEPTED = (
    "sqlite:///RELATIVE/PATH, sqlite:////ABSOLUTE/PATH, "
    "postgresql://USER@HOST[:PORT]/DATABASE or postgresql+psycopg://USER@HOST[:PORT]/DATABASE"
)
_POSTGRES = ("postgresql", "postgresql+psycopg")


def default_url(cwd: Path) -> str:
    """The embedded default: a SQLite file under ``.mailctl/`` of the working directory.

    Nothing is created here; the directory appears on the first write.
    """
    return f"sqlite:///{cwd / '.mailctl' / 'state.db'}"


def resolve_url(cli_value: str | None, env: Mapping[str, str], cwd: Path) -> str:
    """The store URL to use: ``--state``, else ``$MAILCTL_STATE``, else the default.

    A relative SQLite path is made absolute against ``cwd``, so the URL means the same
    file wherever it is used later. Raises StoreError for an unsupported URL.
    """
    url = cli_value or env.get(ENV_VAR) or default_url(cwd)
    parsed = _parse(url)
    if parsed.drivername == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_absolute():
            return f"sqlite:///{cwd / path}"
    return url


def open_store(url: str) -> Store:
    """The store at ``url``, its schema checked (StoreTooNew) and upgraded if older.

    Creates nothing: a store that does not exist yet is created by its first apply.
    Raises StoreError (with the reason) when the URL is unsupported or the database
    cannot be reached.
    """
    store = SqlStore(_backend(_parse(url)))
    try:
        store.open()
    except BaseException:
        store.close()
        raise
    return store


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not echoed: an unparsable URL may still hold a password.
        raise StoreError(f"the store URL is not a valid URL; use {ACCEPTED}") from None
    scheme = parsed.drivername
    if scheme == "sqlite":
        if not parsed.database or parsed.database == ":memory:" or parsed.host:
            raise StoreError(
                f"a SQLite store URL needs a file path (an in-memory store would be lost "
                f"at exit); use {ACCEPTED}"
            )
        if parsed.query:
            raise StoreError(
                f"a SQLite store URL takes no options (?{'&'.join(parsed.query)}); use {ACCEPTED}"
            )
    elif scheme not in _POSTGRES:
        hint = ""
        if scheme.startswith("postgres"):
            hint = " (write postgresql:// or postgresql+psycopg://: psycopg 3 is the driver)"
        raise StoreError(f"unsupported store URL scheme {scheme!r}{hint}; use {ACCEPTED}")
    return parsed


def _backend(url: URL) -> Backend:
    if url.drivername == "sqlite":
        return SqliteBackend(Path(url.database or "").absolute())
    return PostgresBackend(url)

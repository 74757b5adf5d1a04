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

import re
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from reconciler.store.backends import Backend
from reconciler.store.base import Store, StoreError
from reconciler.store.postgres import PostgresBackend
from reconciler.store.sql import SqlStore
from reconciler.store.sqlite import SqliteBackend

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
    if cli_value:
        url, source = cli_value, "--state"
    elif env.get(ENV_VAR):
        url, source = env[ENV_VAR], ENV_VAR
    else:
        url, source = default_url(cwd), "the default store URL"
    parsed = _parse(url, source)
    if parsed.drivername == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_absolute():
            return f"sqlite:///{cwd / path}"
    return url


def open_store(url: str, *, read_only: bool = False) -> Store:
    """The store at ``url``, its schema checked (StoreTooNew) and upgraded if older.

    Creates nothing: a store that does not exist yet is created by its first apply.
    Raises StoreError (with the reason) when the URL is unsupported or the database
    cannot be reached.

    ``read_only``: for a process that only reads (``mailctl serve``). SQLite is opened
    as on read-only media (no lock, WAL or shared-memory file is created; see
    sqlite.py); PostgreSQL sessions are read-only, so a role with SELECT alone
    suffices; an older schema is refused instead of upgraded; every write fails.
    """
    store = SqlStore(_backend(_parse(url), read_only=read_only))
    try:
        store.open()
    except BaseException:
        store.close()
        raise
    return store


def _parse(url: str, source: str = "the store URL") -> URL:
    """``url`` parsed and judged; StoreError (naming ``source``, never echoing the URL,
    which may hold a password) if mailctl cannot use it."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # ValueError: SQLAlchemy's parser on a port that is no number or an unclosed [.
        raise StoreError(
            f"{source}: the store URL is not a valid URL (check the port and any "
            f"[IPv6] brackets); use {ACCEPTED}"
        ) from None
    _refuse_unusable_parts(parsed, source)
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


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _refuse_unusable_parts(url: URL, source: str) -> None:
    """Refuse what every driver would choke on later, with a traceback: a port outside
    1-65535 and control characters (``%00`` decodes to NUL, which no C string holds)."""
    if url.port is not None and not 1 <= url.port <= 65535:
        raise StoreError(f"{source}: the store URL has port {url.port}; a port is 1-65535")
    parts = {
        "user name": url.username,
        "password": url.password,
        "host": url.host,
        "database": url.database,
        **{f"option {key}": value for key, value in url.query.items()},
    }
    for part, value in parts.items():
        values = value if isinstance(value, tuple) else (value,)
        if any(v is not None and _CONTROL.search(str(v)) for v in values):
            raise StoreError(
                f"{source}: the {part} of the store URL holds a control character "
                "(such as %00); remove it"
            )


def _backend(url: URL, *, read_only: bool) -> Backend:
    if url.drivername == "sqlite":
        return SqliteBackend(Path(url.database or "").absolute(), read_only=read_only)
    return PostgresBackend(url, read_only=read_only)

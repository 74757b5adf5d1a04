"""The PostgreSQL backend (psycopg 3): each write transaction takes a transaction-level
advisory lock first, a whole plan-check-apply holds a session advisory lock, and every
URL shown in a message has its password and secret query parameters hidden."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from reconciler.store.backends import Backend, driver_reason
from reconciler.store.base import LockState, StoreError
from reconciler.store.lock_admin import advisory_lock_state, release_advisory_lock
from reconciler.store.locks import AdvisoryLock, advisory_key

PG_CONNECT_TIMEOUT_SECONDS = 10


class PostgresBackend(Backend):
    """A PostgreSQL database (psycopg 3); the lock is a session advisory lock."""

    # One snapshot for the whole read, so a read never mixes two applies.
    read_options: ClassVar[Mapping[str, Any]] = {"isolation_level": "REPEATABLE READ"}
    # READ COMMITTED: each statement sees what was committed before it, so the state
    # read after taking the write lock is the latest one.
    write_options: ClassVar[Mapping[str, Any]] = {"isolation_level": "READ COMMITTED"}

    LOCK_KEY = advisory_key("mailctl")  # lock(): held across a whole plan-check-apply
    WRITE_KEY = advisory_key("mailctl/write")  # each write transaction

    def __init__(self, url: URL, *, read_only: bool = False) -> None:
        super().__init__(read_only=read_only)
        self.url = url.set(drivername="postgresql+psycopg")
        self.display_url = _shown(self.url)

    def _create_engine(self) -> Engine:
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in self.url.query:
            connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_SECONDS
        if "application_name" not in self.url.query:
            connect_args["application_name"] = f"mailctl (pid {os.getpid()})"
        if self.read_only and "options" not in self.url.query:
            # The server then refuses any write of this session, whatever the role may do.
            connect_args["options"] = "-c default_transaction_read_only=on"
        return create_engine(self.url, connect_args=connect_args)

    def may_exist(self) -> bool:
        return True  # only the server knows

    def prepare_write(self) -> None:
        pass  # a PostgreSQL store lives in a database that must already exist

    def begin_write(self, conn: Connection) -> None:
        conn.execute(select(func.pg_advisory_xact_lock(self.WRITE_KEY)))

    def lock(
        self, actor: str, timeout: float, prepare: Callable[[], None]
    ) -> AbstractContextManager[None]:
        return AdvisoryLock(self.engine, self.LOCK_KEY, prepare).hold(actor, timeout)

    def lock_state(self) -> LockState:
        return advisory_lock_state(self.engine, self.LOCK_KEY)

    def release_lock(self, holder_id: str) -> None:
        release_advisory_lock(self.engine, self.LOCK_KEY, holder_id)

    def translate(self, exc: DBAPIError) -> StoreError:
        reason = driver_reason(exc).rstrip(".")
        if isinstance(exc, OperationalError):  # connecting, or the connection, failed
            return StoreError(
                f"cannot use the PostgreSQL store at {self.display_url}: {reason} (check that "
                "the server runs and that host, port, database and user in the URL are right)"
            )
        return StoreError(f"the PostgreSQL store at {self.display_url} failed: {reason}")


# libpq also takes secrets as query parameters (postgresql://host/db?password=…).
_SECRET_PARAMETERS = frozenset({"password", "sslpassword", "passfile", "sslkey"})


def _shown(url: URL) -> str:
    """The URL for messages: its password, and every secret query parameter, hidden."""
    query = {
        key: ("***" if key.lower() in _SECRET_PARAMETERS else value)
        for key, value in url.query.items()
    }
    return url.set(query=query).render_as_string(hide_password=True)

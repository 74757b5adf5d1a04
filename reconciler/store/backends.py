"""What differs between SQLite and PostgreSQL: connecting, serialising writers, locking,
and turning driver errors into messages. Everything else is one code path (sql.py).
Each dialect is its own module: ``sqlite`` and ``postgres``.

Writers are serialised inside the database, whatever ``lock()`` does: SQLite starts
every write transaction with ``BEGIN IMMEDIATE`` (one writer per file; readers keep
their WAL snapshot), PostgreSQL takes a transaction-level advisory lock as the first
statement. A write transaction therefore always sees the latest committed state.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from reconciler.store.base import LockState, StoreError


class Backend(ABC):
    """One kind of database behind the store."""

    display_url: str
    read_options: ClassVar[Mapping[str, Any]] = {}
    write_options: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, *, read_only: bool = False) -> None:
        # read_only: this process only reads (a server of the settings); the backend
        # opens the database so that it cannot write, and creates nothing beside it.
        self.read_only = read_only
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._create_engine()
        return self._engine

    @abstractmethod
    def _create_engine(self) -> Engine: ...

    @abstractmethod
    def may_exist(self) -> bool:
        """False when the store certainly does not exist yet; looks without creating."""

    def writable(self) -> bool:
        """Whether this process may write the store (else it reads an older schema as
        it is, and never upgrades it)."""
        return not self.read_only

    @abstractmethod
    def prepare_write(self) -> None:
        """Make a place for the store before its first write."""

    @abstractmethod
    def begin_write(self, conn: Connection) -> None:
        """Called first inside every write transaction: serialise it with other writers."""

    @abstractmethod
    def lock(
        self, actor: str, timeout: float, prepare: Callable[[], None]
    ) -> AbstractContextManager[None]: ...

    @abstractmethod
    def lock_state(self) -> LockState:
        """Who holds the lock now (see lock_admin.py)."""

    @abstractmethod
    def release_lock(self, holder_id: str) -> None:
        """Free the lock held by ``holder_id``, or say why it cannot be freed from here."""

    def read_guard(self) -> AbstractContextManager[None]:
        """Wraps every read transaction; raises StoreError if the read cannot be trusted."""
        return contextlib.nullcontext()

    @abstractmethod
    def translate(self, exc: DBAPIError) -> StoreError:
        """The StoreError to raise for a driver error: what went wrong, what to do."""

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def driver_reason(exc: DBAPIError) -> str:
    return " ".join(str(exc.orig).split())

"""The transactions of the SQL store: each read on one snapshot, each write serialised
with every other writer (see backends.py) on a schema at head, and every driver error
turned into a StoreError by the backend. A store that does not exist is read as none and
is created only by a write that may create it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from reconciler.store import schema
from reconciler.store.backends import Backend
from reconciler.store.base import StoreError, StoreMissing
from reconciler.store.migrations import READABLE


class Transactions:
    """Read and write transactions on one backend, for the store built on them."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.display_url = backend.display_url

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except DBAPIError as exc:
            raise self._backend.translate(exc) from exc

    @contextmanager
    def _reading(self) -> Iterator[Connection | None]:
        """A read transaction on one snapshot; None when there is no store. Writes nothing."""
        if not self._backend.may_exist():
            yield None
            return
        with self._errors(), self._backend.read_guard(), self._backend.engine.connect() as conn:
            conn.execution_options(**self._backend.read_options)
            with conn.begin():
                revision = schema.current(conn)
                schema.refuse_unknown(revision, self.display_url)
                if revision is None:
                    yield None
                    return
                if revision != schema.head() and (
                    self._backend.writable() or revision not in READABLE
                ):
                    raise StoreError(
                        f"the store at {self.display_url} was downgraded to schema revision "
                        f"{revision} while in use; run the command again to upgrade it"
                    )
                yield conn

    @contextmanager
    def _writing(self, *, create: bool) -> Iterator[Connection]:
        """A serialised write transaction on a schema at head.

        ``create``: make the schema if the store has none; otherwise raise StoreMissing.
        """
        if not create and not self._backend.may_exist():
            raise self._missing()
        self._backend.prepare_write()
        with self._errors(), self._backend.engine.connect() as conn:
            conn.execution_options(**self._backend.write_options)
            with conn.begin():
                self._backend.begin_write(conn)
                if not create and schema.current(conn) is None:
                    raise self._missing()
                schema.upgrade(conn, self.display_url)
                yield conn

    def _missing(self) -> StoreMissing:
        return StoreMissing(
            f"no store at {self.display_url}; it is created by the first mailctl apply"
        )

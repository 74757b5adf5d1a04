"""The SQLite backend: a file in WAL mode, its writers serialised by ``BEGIN
IMMEDIATE`` and its lock ``flock`` on ``<file>.lock``. A file that is not SQLite is
refused before SQLite touches it, a directory is named as one, and a store this process
may not write is read without creating any file beside it."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from reconciler.store.backends import Backend, driver_reason
from reconciler.store.base import LockState, StoreCorrupt, StoreError
from reconciler.store.lock_admin import file_lock_state, release_file_lock
from reconciler.store.locks import FileLock

SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_BUSY_SECONDS = 30.0
_WRITE = "mailctl_write"  # execution option: this connection is about to write
_SEEN_AS_SQLITE: set[Path] = set()  # database files this process must not open itself


class SqliteBackend(Backend):
    """A SQLite file in WAL mode; the lock is ``flock`` on ``<file>.lock``.

    A store this process may not write (opened ``read_only``; read-only media,
    ``chattr +i``, permissions, as the kernel judges it, ``os.access``) is opened
    read-only: reading it creates no lock, WAL or shared-memory file and never
    upgrades its schema, and every writer is refused before it starts. SQLite can
    read a WAL database in a folder it cannot write only as ``immutable`` (it then
    takes no locks); that is used only when no write-ahead log holds data, and each
    read checks afterwards that the file
    did not change meanwhile (see :meth:`read_guard`).
    """

    write_options: ClassVar[Mapping[str, Any]] = {_WRITE: True}

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        super().__init__(read_only=read_only)
        self.path = path
        self.display_url = f"sqlite:///{path}"
        self._mode: str | None = None  # "rw", "ro" or "immutable", fixed on first use

    @property
    def mode(self) -> str:
        if self._mode is None:
            if self._writable():
                self._mode = "rw"
            else:
                self._mode = "ro" if self._wal_size() else "immutable"
        return self._mode

    def writable(self) -> bool:
        return self._writable()

    def _writable(self) -> bool:
        if self.read_only:
            return False
        folder = self.path.parent
        if not folder.exists():
            return True  # nothing to read; the first apply creates it (or says why not)
        if not os.access(folder, os.W_OK):
            return False
        return not self.path.exists() or os.access(self.path, os.W_OK)

    def _wal_size(self) -> int:
        try:
            return self.path.with_name(self.path.name + "-wal").stat().st_size
        except OSError:
            return 0

    def _refuse_if_read_only(self) -> None:
        if not self._writable():
            raise StoreError(
                f"{self.display_url} is read-only here (read-only media, or no write "
                "permission on the file or its folder): show, plan, history and export "
                "read it, but this command writes to it; run it where the store is writable"
            )

    def _create_engine(self) -> Engine:
        _SEEN_AS_SQLITE.add(self.path)  # from now on SQLite may hold locks on it here
        if self.mode == "rw":
            url = URL.create("sqlite", database=str(self.path))
        else:
            query = {"mode": "ro", "uri": "true"}
            if self.mode == "immutable":
                query["immutable"] = "1"
            url = URL.create("sqlite", database=f"file:{quote(str(self.path))}", query=query)
        # Immutable: SQLite detects no change, so a pooled connection could keep pages
        # of an older file in its cache; a fresh connection per read has none.
        pool = {"poolclass": NullPool} if self.mode == "immutable" else {}
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, **pool)
        # pysqlite's own transaction handling skips BEGIN for reads and DDL; take it
        # over (the recipe in SQLAlchemy's SQLite docs) so every transaction is real.
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine

    def may_exist(self) -> bool:
        try:
            info = self.path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise StoreError(f"cannot read {self.display_url}: {exc.strerror}") from exc
        if stat.S_ISDIR(info.st_mode):
            raise StoreError(
                f"{self.path} is a directory, not a SQLite database file; point --state (or "
                f"MAILCTL_STATE) at a file, e.g. sqlite:///{self.path / 'state.db'}"
            )
        if info.st_size == 0:
            return False  # what sqlite3.connect leaves before the first commit
        if self.path not in _SEEN_AS_SQLITE:
            self._check_header()
        return True

    def _check_header(self) -> None:
        """Refuse a file that is not SQLite before SQLite touches it.

        Once per file and process, before any connection: closing a descriptor of the
        database file drops every POSIX lock SQLite holds on it in this process, which
        lets another process delete a WAL still in use here and corrupt the database.
        Later, SQLite itself reports a file that is not a database.
        """
        try:
            with self.path.open("rb") as file:
                header = file.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise StoreError(f"cannot read {self.display_url}: {exc.strerror}") from exc
        if header != SQLITE_MAGIC:
            raise StoreCorrupt(
                f"{self.path} is not a SQLite database, so it is not a mailctl store; "
                "mailctl left it untouched. Point --state at the right file, or move this "
                "one away to start a new store there."
            )
        _SEEN_AS_SQLITE.add(self.path)

    @contextlib.contextmanager
    def read_guard(self) -> Iterator[None]:
        """An immutable open takes no locks: a writer elsewhere (one with the write
        access this process lacks) could change the file under the read. Such a
        change moves the file's size or time or leaves a write-ahead log; the read is
        then refused instead of trusted."""
        if self.mode != "immutable":
            yield
            return
        before = self._identity()
        yield
        if self._identity() != before:
            raise StoreError(
                f"{self.display_url} changed while it was read (it is read-only for "
                "mailctl here, so it could not lock it); run the command again"
            )

    def _identity(self) -> tuple[int, int, int, int]:
        try:
            info = self.path.stat()
        except OSError:
            return (0, 0, 0, 0)
        return (info.st_ino, info.st_size, info.st_mtime_ns, self._wal_size())

    def prepare_write(self) -> None:
        self.may_exist()  # refuses a directory or a foreign file before creating anything
        self._refuse_if_read_only()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the directory of {self.display_url}: {exc.strerror}"
            ) from exc

    def begin_write(self, conn: Connection) -> None:
        pass  # BEGIN IMMEDIATE, emitted by _sqlite_begin, already serialises writers

    def lock(
        self, actor: str, timeout: float, prepare: Callable[[], None]
    ) -> AbstractContextManager[None]:
        self._refuse_if_read_only()  # before the lock file is created
        return FileLock(self._lock_path()).hold(actor, timeout)

    def _lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def lock_state(self) -> LockState:
        return file_lock_state(self._lock_path())

    def release_lock(self, holder_id: str) -> None:
        release_file_lock(self._lock_path(), holder_id)

    def translate(self, exc: DBAPIError) -> StoreError:
        reason = driver_reason(exc)
        if "not a database" in reason or "malformed" in reason:
            return StoreCorrupt(
                f"{self.display_url} is not a usable SQLite database ({reason}); mailctl "
                "left it untouched. Restore it from a backup, or point --state elsewhere."
            )
        if "locked" in reason or "busy" in reason:
            return StoreError(
                f"{self.display_url} stayed busy for {SQLITE_BUSY_SECONDS:g}s ({reason}): "
                "another process is writing to it; try again"
            )
        if self._mode == "ro" and ("unable to open" in reason or "readonly" in reason):
            return StoreError(
                f"cannot read {self.display_url} ({reason}): its write-ahead log (-wal) "
                "holds changes SQLite reads only with write access to the folder; run "
                "mailctl show once where the store is writable, which folds the log in"
            )
        if "unable to open" in reason or "readonly" in reason:
            return StoreError(
                f"cannot open {self.display_url} ({reason}); check the path and that its "
                "directory and file are writable"
            )
        return StoreError(f"{self.display_url}: {reason}")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(_WRITE):
        # WAL: readers keep working during an apply. A no-op once the file is in WAL mode
        # (the mode is stored in the file), and it must run outside a transaction.
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        # IMMEDIATE takes the write lock now, so the state read at the start of the
        # transaction cannot be changed by another writer before we write.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")

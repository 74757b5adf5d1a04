"""Locks that exclude other appliers across processes (SQLite) and hosts (PostgreSQL).

Both kinds are released by the operating system or the server when their holder dies,
even by SIGKILL, so a crashed apply never leaves the store locked. Both poll: waiting
holds nothing, and the wait ends at ``timeout`` with a LockTimeout that names the holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from reconciler.output.lock import LockFileRefused, open_lock_file
from reconciler.store.base import LockTimeout, StoreError
from reconciler.store.rows import now
from reconciler.store.tables import lock_holder

POLL_SECONDS = 0.05
_RECORD = 512  # bytes of the holder record in a lock file; longer ones are kept whole
_RECORD_READ = 4096


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as a waiter reports it."""

    actor: str
    since: str
    pid: int
    host: str

    @classmethod
    def me(cls, actor: str) -> Holder:
        return cls(actor=actor, since=now(), pid=os.getpid(), host=socket.gethostname())

    def describe(self) -> str:
        return f"{self.actor} (pid {self.pid} on {self.host})"


def _timed_out(holder: Holder | None, waited: float) -> LockTimeout:
    if holder is None:
        # The holder took the lock but has not said who it is yet (or cannot).
        return LockTimeout(holder="another mailctl", since="an unknown time", waited=waited)
    return LockTimeout(holder=holder.describe(), since=holder.since, waited=waited)


def _poll(try_once: Callable[[], bool], timeout: float) -> bool:
    """Call ``try_once`` until it succeeds or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not try_once():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(POLL_SECONDS, left))
    return True


class FileLock:
    """``flock`` on a file beside the SQLite database (``state.db.lock``).

    The holder writes who it is into the file, as a fixed-width record at its start,
    and blanks it on release; waiters read it. The file is opened as
    :func:`reconciler.output.lock.open_lock_file` does (no link followed, no other file's
    name, never truncated), and never deleted: unlinking a lock file lets a waiter lock
    an inode nobody else will open.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def hold(self, actor: str, timeout: float) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = open_lock_file(self.path)
        except LockFileRefused as problem:
            raise StoreError(
                f"the lock file {self.path} {problem.what}; mailctl locks only a plain "
                "file of its own: remove it, and mailctl creates it on the next run"
            ) from None
        except OSError as exc:
            raise StoreError(
                f"cannot create the lock file {self.path}: {exc.strerror}; "
                "check that its directory is writable"
            ) from exc
        try:
            if not _poll(lambda: self._try(fd), timeout):
                raise _timed_out(self._read_holder(fd), timeout)
            # Padded, not truncated: a shorter record leaves no tail of a longer one.
            record = json.dumps(asdict(Holder.me(actor))).encode().ljust(_RECORD)
            try:
                os.pwrite(fd, record, 0)
                yield
            finally:
                os.pwrite(fd, b" " * len(record), 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @staticmethod
    def _try(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    @staticmethod
    def _read_holder(fd: int) -> Holder | None:
        try:
            return Holder(**json.loads(os.pread(fd, _RECORD_READ, 0)))
        except (OSError, ValueError, TypeError):
            return None  # empty or half-written: the holder is between lock and write


def advisory_key(name: str) -> int:
    """A fixed positive 63-bit key for ``pg_advisory_lock``, derived from ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 1


class AdvisoryLock:
    """A session-level PostgreSQL advisory lock on a connection kept for the lock's life.

    The server releases it when that session ends, including when the holder dies. The
    holder records itself in ``lock_holder`` (committed) so a waiter on any host can
    name it; ``prepare`` makes sure that table exists before the first write.
    """

    def __init__(self, engine: Engine, key: int, prepare: Callable[[], None]) -> None:
        self.engine = engine
        self.key = key
        self.prepare = prepare

    @contextmanager
    def hold(self, actor: str, timeout: float) -> Iterator[None]:
        with self.engine.connect() as conn:
            if not _poll(lambda: self._try(conn), timeout):
                raise _timed_out(self._read_holder(conn), timeout)
            try:
                self.prepare()
                me = Holder.me(actor)
                # Any row left is stale (we hold the lock): its holder died.
                conn.execute(delete(lock_holder))
                conn.execute(
                    insert(lock_holder).values(
                        backend_pid=func.pg_backend_pid(),
                        actor=me.actor,
                        since=me.since,
                        pid=me.pid,
                        host=me.host,
                    )
                )
                conn.commit()
                yield
            finally:
                self._release(conn)

    def _try(self, conn: Connection) -> bool:
        locked = bool(conn.execute(select(func.pg_try_advisory_lock(self.key))).scalar_one())
        conn.commit()  # do not keep a transaction (and its snapshot) open while waiting
        return locked

    def _release(self, conn: Connection) -> None:
        try:
            conn.rollback()
            mine = lock_holder.c.backend_pid == func.pg_backend_pid()
            conn.execute(delete(lock_holder).where(mine))
            conn.execute(select(func.pg_advisory_unlock(self.key)))
            conn.commit()
        except DBAPIError:
            # Ending the session releases the lock whatever state the connection is in.
            with contextlib.suppress(DBAPIError):
                conn.invalidate()

    def _read_holder(self, conn: Connection) -> Holder | None:
        try:
            if not inspect(conn).has_table(lock_holder.name):
                return None
            row = conn.execute(_HOLDER, {"hi": self.key >> 32, "lo": self.key & 0xFFFFFFFF}).first()
        except DBAPIError:
            return None
        finally:
            conn.rollback()
        return Holder(*row) if row is not None else None


# The holder row of the session that holds the advisory lock in this database, if it has
# written one. A bigint key shows in pg_locks as two oid halves (classid high, objid low)
# with objsubid 1.
_HOLDER = text(
    "SELECT h.actor, h.since, h.pid, h.host FROM lock_holder h WHERE h.backend_pid IN ("
    " SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
    " WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted"
    " AND l.objsubid = 1 AND l.classid::bigint = :hi AND l.objid::bigint = :lo)"
)

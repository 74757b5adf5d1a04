"""The store's lock seen from outside its holder: who holds it, and freeing it.

A SQLite store's lock is ``flock`` on ``state.db.lock``, held by a live process's open
file: the system frees it the moment that process exits, and no other process can take
it away. A stuck SQLite lock therefore means a live, hung holder, which only stopping
that process frees; ``release_file_lock`` says so rather than pretending.

A PostgreSQL store's lock is a session advisory lock: the server frees it when that
session ends, and another session may end it (``pg_terminate_backend``, allowed to a
superuser, a member of ``pg_signal_backend`` or the holder's own role). That also frees
a lock whose holder's host vanished and whose connection the server still believes
alive. The holder's open transaction, if any, is rolled back: nothing half-applied.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from reconciler.store.base import LockNotReleasable, LockState, StoreError
from reconciler.store.tables import lock_holder

_RECORD_READ = 4096
_ENDED_SECONDS = 10.0  # how long a terminated session may take to let go of its lock


def file_lock_state(path: Path) -> LockState:
    """The state of the ``flock`` on ``path``; tried shared and at once, so a waiting
    apply is held up by one poll at most. Creates nothing."""
    where = f"lock file {path}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return LockState(held=False, where=where)
    except OSError as exc:
        raise StoreError(f"cannot read the {where}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _recorded(where, _file_record(fd))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return LockState(held=False, where=where)
    finally:
        os.close(fd)


def _file_record(fd: int) -> dict[str, Any]:
    try:
        record = json.loads(os.pread(fd, _RECORD_READ, 0))
    except (OSError, ValueError):
        return {}  # between taking the lock and writing who it is
    return record if isinstance(record, dict) else {}


def _recorded(where: str, record: dict[str, Any], holder_id: str | None = None) -> LockState:
    pid, host = record.get("pid"), record.get("host")
    if holder_id is None and pid is not None and host is not None:
        holder_id = f"{pid}@{host}"
    return LockState(
        held=True,
        where=where,
        holder_id=holder_id,
        actor=record.get("actor"),
        since=record.get("since"),
        pid=pid,
        host=host,
    )


def refuse_unless_holder(state: LockState, holder_id: str) -> None:
    """StoreError unless ``holder_id`` holds the lock of ``state``."""
    if not state.held:
        raise StoreError(f"the store's lock is not held ({state.where}); nothing to release")
    if state.holder_id != holder_id:
        now_held = state.holder_id or "a holder that has not recorded itself"
        raise StoreError(
            f"the store's lock is held by {now_held}, not {holder_id}; run mailctl lock "
            "status again and release the holder it names"
        )


def release_file_lock(path: Path, holder_id: str) -> None:
    """Always LockNotReleasable when ``holder_id`` holds it: see the module's text."""
    state = file_lock_state(path)
    refuse_unless_holder(state, holder_id)
    raise LockNotReleasable(
        f"the SQLite store's lock is a file lock held by the live process {state.pid} on "
        f"{state.host} ({state.actor}, since {state.since}); no other process can take it "
        f"away. Stop that process (on {state.host}: kill {state.pid}): the system frees "
        "the lock as it exits, and the store keeps only what it had committed"
    )


# Sessions holding the advisory lock ``key`` in this database (a bigint key shows in
# pg_locks as two oid halves, classid high and objid low, with objsubid 1).
_HOLDERS = text(
    "SELECT l.pid, a.client_addr::text, a.application_name FROM pg_locks l"
    " JOIN pg_database d ON d.oid = l.database"
    " LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted"
    " AND l.objsubid = 1 AND l.classid::bigint = :hi AND l.objid::bigint = :lo"
)


def _session(conn: Connection, key: int) -> tuple[int, str | None, str | None] | None:
    row = conn.execute(_HOLDERS, {"hi": key >> 32, "lo": key & 0xFFFFFFFF}).first()
    return None if row is None else (int(row[0]), row[1], row[2])


def advisory_lock_state(engine: Engine, key: int) -> LockState:
    """The session holding advisory lock ``key``, and the holder row it wrote."""
    with engine.connect() as conn:
        session = _session(conn, key)
        if session is None:
            return LockState(held=False, where="PostgreSQL advisory lock")
        backend_pid, client, application = session
        where = f"PostgreSQL session {backend_pid}"
        if client or application:
            where += f" ({', '.join(p for p in (application, client and 'from ' + client) if p)})"
        record: dict[str, Any] = {}
        if inspect(conn).has_table(lock_holder.name):
            row = conn.execute(
                lock_holder.select().where(lock_holder.c.backend_pid == backend_pid)
            ).first()
            if row is not None:
                record = dict(row._mapping)
        conn.rollback()
    return _recorded(where, record, holder_id=f"pg-backend-{backend_pid}")


def release_advisory_lock(engine: Engine, key: int, holder_id: str) -> None:
    """End the session that holds ``key`` as ``holder_id``, and wait until its lock is
    free. LockNotReleasable if the server does not allow this user to end it."""
    state = advisory_lock_state(engine, key)
    refuse_unless_holder(state, holder_id)
    backend_pid = int(holder_id.removeprefix("pg-backend-"))
    with engine.connect() as conn:
        try:
            ended = conn.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid}
            ).scalar_one()
        except DBAPIError as exc:
            conn.rollback()
            raise LockNotReleasable(
                f"the server refused to end session {backend_pid}, which holds the lock "
                f"({' '.join(str(exc.orig).split())}); a superuser or a member of "
                f"pg_signal_backend can: SELECT pg_terminate_backend({backend_pid})"
            ) from None
        conn.commit()
        if not ended:
            raise StoreError(f"session {backend_pid} had ended already; run lock status again")
        deadline = time.monotonic() + _ENDED_SECONDS
        while _session(conn, key) is not None:
            conn.commit()
            if time.monotonic() > deadline:
                raise StoreError(
                    f"session {backend_pid} was told to end but still holds the lock after "
                    f"{_ENDED_SECONDS:g}s; run lock status again"
                )
            time.sleep(0.05)
        with contextlib.suppress(DBAPIError):  # the row of a holder that is gone
            conn.execute(delete(lock_holder).where(lock_holder.c.backend_pid == backend_pid))
        conn.commit()

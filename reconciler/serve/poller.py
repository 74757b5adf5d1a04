"""Keeping the served snapshot current: a cheap poll of the store's serial and of its
evidence mark (the newest evidence record's id: audits record evidence without moving
the serial), a full read only when either moved, and one reference assignment to switch.

The store is opened read-only. A failed poll keeps the snapshot that was being served
(clients keep getting the last applied settings) and marks the store unreachable for
``/healthz``; the next poll opens the store afresh.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread

from reconciler.app.store import NoStore
from reconciler.errors import MailctlError
from reconciler.plan.audit_replay import last_audits
from reconciler.serve import snapshot
from reconciler.serve.defaults import DEFAULT_INTERVAL as DEFAULT_INTERVAL  # part of this API
from reconciler.serve.snapshot import Snapshot
from reconciler.store.base import Store, StoreHead

# Reads that raced an apply (the serial moved between head and content) are retried
# at once this often before the poll gives up until next time.
_ATTEMPTS = 3


@dataclass(frozen=True)
class PollState:
    ok: bool
    at: float  # time.time() of the poll
    error: str | None = None  # the store's message (its URL without password)


class SnapshotSource:
    """The snapshot being served (``current``) and how the last poll went.

    ``current`` is replaced, never changed: a reader takes it once and keeps a
    consistent serial for as long as it holds it. ``poll`` runs in one thread at a
    time (the poll loop); readers need no lock.
    """

    def __init__(self, open_store: Callable[[], Store]) -> None:
        self._open = open_store
        self._store: Store | None = None
        self.current: Snapshot = snapshot.EMPTY
        self.last_poll = PollState(ok=False, at=0.0, error="not polled yet")

    def poll(self) -> bool:
        """Read the store's head, and its content when the serial moved; True when a
        new snapshot was switched in. Never raises a store error: it is recorded."""
        try:
            switched = self._poll()
        except MailctlError as exc:
            self._drop_store()
            self.last_poll = PollState(ok=False, at=time.time(), error=str(exc))
            log_event("poll_failed", error=str(exc))
            return False
        self.last_poll = PollState(ok=True, at=time.time())
        return switched

    def _poll(self) -> bool:
        if self._store is None:
            self._store = self._open()
        store = self._store
        head = store.head()
        if head.lineage is None:
            # A vanished or emptied store (a moved file, a dropped table) is an outage,
            # not a new state with no domains: keep serving what was applied.
            raise NoStore(store.display_url)
        mark = store.evidence_mark()
        for _ in range(_ATTEMPTS):
            if _same(head, self.current) and mark == self.current.evidence_mark:
                return False
            # Settings and evidence come from one read transaction.
            read = store.read_with_evidence()
            state, mark = read.state, read.evidence_mark
            after = store.head()
            if after.serial == state.serial and after.lineage == state.lineage:
                audits = last_audits(state.domains, read.recent)
                # One assignment: a request sees the old snapshot or the new, never a mix.
                self.current = snapshot.build(state, after.applied_at, audits, mark)
                log_event(
                    "snapshot",
                    serial=state.serial,
                    domains=len(state.domains),
                    audited=len(audits),
                    evidence_mark=mark,
                )
                del state, read  # garbage now: not to be frozen
                out_of_collector_reach()
                return True
            head = after
        return False

    def _drop_store(self) -> None:
        if self._store is not None:
            try:
                self._store.close()
            finally:
                self._store = None

    async def run(self, interval: float) -> None:
        """Poll every ``interval`` seconds, in a worker thread, until cancelled."""
        while True:
            await anyio.sleep(interval)
            await anyio.to_thread.run_sync(self.poll)

    def close(self) -> None:
        self._drop_store()


def out_of_collector_reach() -> None:
    """Freeze what is alive now (the snapshot just switched in, the modules, ...) out of
    the cyclic garbage collector's reach: a full collection would otherwise walk every
    object of every domain's answers, tens to hundreds of milliseconds each time, during
    which no request is answered. What was frozen at the previous switch is unfrozen
    and collected first, so an old snapshot is freed once no request holds it (by
    reference counting, or here if it is in a cycle) and memory does not grow with
    every switch. Costs one full collection per switch, in the poll thread."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _same(head: StoreHead, current: Snapshot) -> bool:
    return head.lineage == current.lineage and head.serial == current.serial


def log_event(event: str, **fields: object) -> None:
    """One JSON line on stderr about the server itself (not a request)."""
    line = {"time": _now(), "event": event, **fields}
    sys.stderr.write(json.dumps(line, separators=(",", ":")) + "\n")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

"""The store interface that every backend implements, and its typed errors.

A store holds the connection settings of record (domains, connection ranges), the
connected inboxes (runtime data), a ``lineage`` and a ``serial``, and the history of
every apply with a snapshot sufficient to restore that revision.

Contract (checked by ``tests/store/test_contract.py`` against every backend):

* ``read()`` and ``head()`` never create anything. A store that does not exist yet reads as
  ``StoredState(lineage=None, serial=0)``.
* ``apply()`` writes all of a request in ONE transaction: either every change, the
  new serial (old + 1) and the history entry are stored, or nothing is. It refuses
  (``StaleState``) when the store's lineage, serial or content checksum differ from
  what the request expects. It creates the store (schema, lineage) when needed.
* ``lock()`` excludes other appliers across processes and hosts; waiting longer
  than ``timeout`` raises ``LockTimeout`` naming the holder and since when.
* The serial counts writes of settings. Connecting or disconnecting an inbox is
  runtime data: it does not bump the serial (so it does not make saved plans stale);
  the apply re-reads inbox counts under the lock for its gates instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from reconciler.desired.model import Domain
from reconciler.desired.state import StoredState
from reconciler.errors import Blocked, MailctlError
from reconciler.plan.evidence_history import EndpointKey, EvidenceRecord
from reconciler.plan.flatstate import FlatState, Row

# The largest serial a store can hold: its column is a 32-bit INTEGER in PostgreSQL.
MAX_SERIAL = 2**31 - 1


class StoreError(MailctlError):
    """The store cannot be used as asked; the message says why and what to do."""


class StoreMissing(StoreError):
    pass


class StoreCorrupt(StoreError):
    pass


class StoreTooNew(StoreError):
    pass


class StaleState(StoreError, Blocked):
    """The store moved on since the plan was made."""


class LockTimeout(StoreError):
    def __init__(self, holder: str, since: str, waited: float) -> None:
        self.holder = holder
        self.since = since
        self.waited = waited
        super().__init__(
            f"the store is locked by {holder} since {since}; gave up after waiting "
            f"{waited:g}s (raise --lock-timeout to wait longer)"
        )


class UnknownSerial(StoreError):
    pass


class LockNotReleasable(StoreError):
    """The lock's holder cannot be made to let go from here; the message says who can."""


@dataclass(frozen=True)
class LockState:
    """The store's lock as seen from outside: ``held`` or not, and its holder as the
    holder recorded itself (``None`` where it has not, or could not). ``holder_id`` is
    what ``release`` takes, so that it frees only the holder that was shown; ``where``
    says what the lock is (a file, a database session)."""

    held: bool
    where: str
    holder_id: str | None = None
    actor: str | None = None
    since: str | None = None
    pid: int | None = None
    host: str | None = None


HistoryKind = Literal["apply", "rollback"]


@dataclass(frozen=True)
class HistoryRecord:
    """What an apply says about itself; the store adds serial and time."""

    actor: str
    commit: str | None
    plan_checksum: str
    kind: HistoryKind = "apply"
    changes: Sequence[dict[str, Any]] = ()
    summary: dict[str, int] = field(default_factory=dict)
    restored_serial: int | None = None  # a rollback: the serial whose state it restored


@dataclass(frozen=True)
class HistoryEntry:
    serial: int
    applied_at: str  # ISO 8601, UTC
    actor: str
    commit: str | None
    plan_checksum: str
    kind: HistoryKind
    summary: dict[str, int]
    changes: Sequence[dict[str, Any]]
    restored_serial: int | None = None  # a rollback: the serial whose state it restored


@dataclass(frozen=True)
class ApplyRequest:
    """One apply: the delta to write and the full state it produces.

    ``target`` is what the store holds afterwards (recorded as the history snapshot);
    applying ``creates``/``updates``/``deletes``/``connection_ranges`` to the expected
    state yields exactly ``target``. ``only`` and ``excluded``: the plan's targeting
    (``--domain``/``--exclude``); no other domain may change, and with ``only`` the
    connection ranges may not either.
    """

    expected_lineage: str | None
    expected_serial: int
    expected_checksum: str
    creates: Sequence[Domain]
    updates: Sequence[Domain]
    deletes: Sequence[str]
    connection_ranges: tuple[str, ...]
    target: StoredState
    record: HistoryRecord
    only: frozenset[str] | None = None  # None: any domain may change
    excluded: frozenset[str] = frozenset()
    # The plan's live-check evidence, recorded in the same transaction (source "plan").
    evidence: Sequence[EvidenceRecord] = ()
    keep_evidence: int = 30  # runs kept per endpoint afterwards


@dataclass(frozen=True)
class StateWithEvidence:
    """The stored state, the evidence mark when it was read, and each endpoint's
    newest two records (newest first)."""

    state: StoredState
    evidence_mark: int
    recent: dict[EndpointKey, list[EvidenceRecord]]


@dataclass(frozen=True)
class StoreHead:
    """Who the store is and how far it got, without its content: ``lineage`` (None:
    nothing applied yet), ``serial`` and when that serial was written (ISO 8601, UTC)."""

    lineage: str | None
    serial: int
    applied_at: str | None


@dataclass(frozen=True)
class Inbox:
    address: str
    domain: str
    connected_at: str  # ISO 8601, UTC


class Store(Protocol):
    """What the rest of mailctl needs from a backend."""

    display_url: str  # the URL with any password removed

    def read(self) -> StoredState: ...

    def read_flat(self, known: Mapping[str, Row]) -> FlatState:
        """:meth:`read` as rows (``reconciler.store.reads``): a row equal to ``known``'s
        row of the same domain gets no model."""
        ...

    def last_applied_flat(self, known: Mapping[str, Row]) -> FlatState | None:
        """:meth:`last_applied` as rows, as :meth:`read_flat`."""
        ...

    def head(self) -> StoreHead:
        """Lineage, serial and time of the latest write of settings: one row, so cheap
        enough to ask every second (a reader polls it to notice an apply)."""
        ...

    def last_applied(self) -> StoredState | None:
        """The state recorded by the latest history entry (the base of drift)."""
        ...

    def inbox_counts(self) -> dict[str, int]: ...

    def lock(self, actor: str, timeout: float) -> AbstractContextManager[None]: ...

    def lock_state(self) -> LockState:
        """Who holds the lock now; takes nothing that an apply would wait for long."""
        ...

    def release_lock(self, holder_id: str) -> None:
        """Free the lock held by ``holder_id`` (from ``lock_state``) by ending its
        holder's hold. StoreError if another holds it now or it is free;
        LockNotReleasable if this backend cannot free it from another process."""
        ...

    def apply(self, request: ApplyRequest) -> int:
        """Write the request atomically; return the new serial."""
        ...

    def history(self) -> list[HistoryEntry]: ...

    def revision(self, serial: int) -> StoredState:
        """The state as it was right after the apply that produced ``serial``."""
        ...

    def connect_inbox(self, address: str, domain: str) -> Inbox: ...

    def disconnect_inbox(self, address: str) -> bool: ...

    def inboxes(self, domain: str | None = None) -> list[Inbox]: ...

    def refuse_if_read_only(self) -> None:
        """StoreError naming why, when this process could not write the store."""
        ...

    def record_evidence(self, records: Sequence[EvidenceRecord], keep: int) -> None:
        """Add one run's records and keep only the last ``keep`` per endpoint: one
        transaction. StoreMissing when nothing was ever applied."""
        ...

    def latest_evidence(self) -> dict[EndpointKey, EvidenceRecord]:
        """The newest record of every endpoint (empty on a store without history)."""
        ...

    def evidence_timeline(self, domain: str) -> list[EvidenceRecord]:
        """Every kept record of ``domain``, oldest first."""
        ...

    def prune_evidence(self, keep: int) -> int:
        """Keep the last ``keep`` records per endpoint; return how many were removed."""
        ...

    def evidence_mark(self) -> int:
        """The id of the newest evidence record, 0 for none: it grows with every run."""
        ...

    def read_with_evidence(self) -> StateWithEvidence:
        """The state with its evidence, read in one transaction (for the service)."""
        ...

    def close(self) -> None: ...

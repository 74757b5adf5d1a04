"""The store for SQLite and PostgreSQL: one code path in SQLAlchemy Core.

Reads run in one read transaction (one snapshot). Writes run in one write transaction
that is serialised with every other writer, upgrades or creates the schema first, and
commits everything or nothing (see transactions.py).

Inboxes: ``connect_inbox`` of an address that is already connected to the same domain
returns the existing record unchanged (connecting twice is harmless); to a different
domain it raises StoreError, since an address belongs to one domain. Inbox writes need
a store created by an apply (StoreMissing otherwise) and never change the serial.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from reconciler.desired.state import StoredState
from reconciler.plan.flatstate import FlatState, Row, row_of
from reconciler.store import bulk, evidence, guards, reads, rows, schema
from reconciler.store.base import (
    MAX_SERIAL,
    ApplyRequest,
    HistoryEntry,
    Inbox,
    LockState,
    StoreError,
    StoreHead,
    StoreMissing,
    UnknownSerial,
)
from reconciler.store.evidence import EvidenceStore
from reconciler.store.migrations import READABLE
from reconciler.store.tables import (
    DOMAIN_COLUMNS,
    connection_ranges,
    domains,
    history,
    inboxes,
    state,
)

_UPDATE_DOMAIN = (
    update(domains)
    .where(domains.c.name == bindparam("b_name"))
    .values({column.key: bindparam(column.key) for column in DOMAIN_COLUMNS})
)
_HEAD_SELECT = select(state.c.lineage, state.c.serial, state.c.updated_at)
_DELETE_DOMAIN = delete(domains).where(domains.c.name == bindparam("b_name"))


class SqlStore(EvidenceStore):
    """A :class:`reconciler.store.base.Store` on a SQLAlchemy backend."""

    # --- opening -------------------------------------------------------------------

    def open(self) -> None:
        """Check the schema: StoreTooNew if a newer mailctl wrote it (nothing written),
        upgraded in place if an older one did (StoreError instead when the backend is
        read-only). A store that does not exist stays so."""
        if not self._backend.may_exist():
            return
        with (
            self._errors(),
            self._backend.read_guard(),
            self._backend.engine.connect() as conn,
            conn.begin(),
        ):
            revision = schema.current(conn)
        schema.refuse_unknown(revision, self.display_url)
        if revision is not None and revision != schema.head():
            if not self._backend.writable():
                if revision in READABLE:
                    return  # read as it is; a writer upgrades it
                raise StoreError(
                    f"the store at {self.display_url} has an older schema ({revision}) and "
                    "is opened read-only here; run mailctl show once with write access to "
                    "upgrade it"
                )
            with self._writing(create=False):
                pass  # _writing upgrades, under the write lock, re-checking the revision

    def close(self) -> None:
        self._backend.close()

    # --- settings ------------------------------------------------------------------

    def read(self) -> StoredState:
        with self._reading() as conn:
            return StoredState() if conn is None else reads.read_state(conn, self.display_url)

    def read_flat(self, known: Mapping[str, Row]) -> FlatState:
        with self._reading() as conn:
            if conn is None:
                return FlatState(lineage=None, serial=0, connection_ranges=(), rows={})
            return reads.read_flat(conn, known, self.display_url)

    def last_applied_flat(self, known: Mapping[str, Row]) -> FlatState | None:
        with self._reading() as conn:
            return None if conn is None else reads.last_applied_flat(conn, known, self.display_url)

    def _state_in(self, conn: Connection) -> StoredState:
        return reads.read_state(conn, self.display_url)

    def head(self) -> StoreHead:
        with self._reading() as conn:
            row = None if conn is None else conn.execute(_HEAD_SELECT).first()
        if row is None:
            return StoreHead(lineage=None, serial=0, applied_at=None)
        return StoreHead(lineage=row.lineage, serial=row.serial, applied_at=row.updated_at)

    def apply(self, request: ApplyRequest) -> int:
        # Everything that needs no database is computed before the write lock is taken,
        # and each domain is made a row once: table rows and snapshot are both made from it.
        # Rows take the target's values; refuse_if_inconsistent checks they are the delta's.
        guards.refuse_if_outside_target(request)
        target = {name: row_of(domain) for name, domain in request.target.domains.items()}
        record = rows.history_row(
            request.record, rows.encode_snapshot(request.target.connection_ranges, target)
        )
        updates = [
            {"b_name": d.name, **rows.domain_row(d.name, target[d.name])} for d in request.updates
        ]
        # In the domains table's column order: name, then flatten's fields (a test holds it).
        creates = [(d.name, *target[d.name]) for d in request.creates]
        if not self._backend.may_exist():
            # Refuse a stale request without creating the store.
            guards.refuse_if_stale(request, guards.NO_STORE, self.display_url)
        with self._writing(create=True) as conn:
            # As rows: the stored rows equal to the target's are the target's own tuples.
            current = reads.read_flat(conn, target, self.display_url)
            guards.refuse_if_stale(request, current, self.display_url)
            guards.refuse_if_inconsistent(request, current, target)
            guards.refuse_if_outside_targeting(request, current)
            stamp = rows.now()
            if current.lineage is None:
                conn.execute(
                    insert(state).values(id=1, lineage=uuid.uuid4().hex, serial=0, updated_at=stamp)
                )
            if request.deletes:
                conn.execute(_DELETE_DOMAIN, [{"b_name": name} for name in request.deletes])
            if updates:
                conn.execute(_UPDATE_DOMAIN, updates)
            bulk.insert_rows(conn, domains, creates)
            conn.execute(delete(connection_ranges))
            if request.connection_ranges:
                conn.execute(
                    insert(connection_ranges),
                    [
                        {"cidr": cidr, "position": position}
                        for position, cidr in enumerate(request.connection_ranges)
                    ],
                )
            serial = current.serial + 1
            conn.execute(update(state).values(serial=serial, updated_at=stamp))
            conn.execute(insert(history).values(serial=serial, applied_at=stamp, **record))
            evidence.insert_records(conn, request.evidence, request.keep_evidence)
            return serial

    @contextmanager
    def lock(self, actor: str, timeout: float) -> Iterator[None]:
        """Exclude other appliers until the block ends (see locks.py)."""
        with self._errors(), self._backend.lock(actor, timeout, self._create_schema):
            yield

    def lock_state(self) -> LockState:
        with self._errors():
            return self._backend.lock_state()

    def release_lock(self, holder_id: str) -> None:
        with self._errors():
            self._backend.release_lock(holder_id)

    def _create_schema(self) -> None:
        # The PostgreSQL lock records its holder in a table, so it needs the schema.
        with self._writing(create=True):
            pass

    # --- history -------------------------------------------------------------------

    def history(self) -> list[HistoryEntry]:
        with self._reading() as conn:
            if conn is None or reads.lineage(conn) is None:
                raise self._missing()
            query = select(history).order_by(history.c.serial)
            return [rows.history_entry(row) for row in conn.execute(query)]

    def revision(self, serial: int) -> StoredState:
        if not 1 <= serial <= MAX_SERIAL:  # the database would fail to bind it
            raise self._unknown(serial)
        with self._reading() as conn:
            lineage = None if conn is None else reads.lineage(conn)
            if conn is None or lineage is None:
                raise self._missing()
            blob = conn.execute(
                select(history.c.snapshot).where(history.c.serial == serial)
            ).scalar_one_or_none()
        if blob is None:
            raise self._unknown(serial)
        return rows.decode_snapshot(
            blob, lineage=lineage, serial=serial, display_url=self.display_url
        )

    def _unknown(self, serial: int) -> UnknownSerial:
        return UnknownSerial(
            f"the store at {self.display_url} has no revision {serial}; "
            "mailctl history lists the serials it has"
        )

    def last_applied(self) -> StoredState | None:
        with self._reading() as conn:
            lineage = None if conn is None else reads.lineage(conn)
            if conn is None or lineage is None:
                return None
            row = conn.execute(
                select(history.c.serial, history.c.snapshot)
                .order_by(history.c.serial.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        return rows.decode_snapshot(
            row.snapshot, lineage=lineage, serial=row.serial, display_url=self.display_url
        )

    # --- inboxes -------------------------------------------------------------------

    def inbox_counts(self) -> dict[str, int]:
        with self._reading() as conn:
            if conn is None:
                return {}
            query = select(inboxes.c.domain, func.count()).group_by(inboxes.c.domain)
            return {domain: count for domain, count in conn.execute(query)}

    def inboxes(self, domain: str | None = None) -> list[Inbox]:
        with self._reading() as conn:
            if conn is None:
                return []
            query = select(inboxes.c.address, inboxes.c.domain, inboxes.c.connected_at)
            if domain is not None:
                query = query.where(inboxes.c.domain == domain)
            found = [Inbox(*row) for row in conn.execute(query)]
        return sorted(found, key=lambda inbox: inbox.address)

    def connect_inbox(self, address: str, domain: str) -> Inbox:
        with self._writing(create=False) as conn:
            if reads.lineage(conn) is None:
                raise self._missing()
            existing = conn.execute(
                select(inboxes.c.address, inboxes.c.domain, inboxes.c.connected_at).where(
                    inboxes.c.address == address
                )
            ).first()
            if existing is not None:
                inbox = Inbox(*existing)
                if inbox.domain != domain:
                    raise StoreError(
                        f"{address} is already connected, to domain {inbox.domain}; "
                        "disconnect it first"
                    )
                return inbox
            # Checked in the same write transaction as the insert: an apply deleting the
            # domain (its gate counted no inbox) cannot slip in between.
            known = conn.execute(select(domains.c.name).where(domains.c.name == domain)).first()
            if known is None:
                raise StoreError(f"cannot connect {address}: domain {domain} is not in the store")
            inbox = Inbox(address=address, domain=domain, connected_at=rows.now())
            conn.execute(insert(inboxes).values(**asdict(inbox)))
            return inbox

    def disconnect_inbox(self, address: str) -> bool:
        try:
            with self._writing(create=False) as conn:
                result = conn.execute(delete(inboxes).where(inboxes.c.address == address))
                return result.rowcount > 0
        except StoreMissing:
            return False

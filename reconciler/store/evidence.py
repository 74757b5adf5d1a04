"""The evidence history in the SQL store: recorded per run in one transaction, read as
the latest record per endpoint or a domain's timeline, pruned to the last runs.

A store at revision 0001 (read by a process that may not upgrade it) has no history:
it reads as empty. Pruning keeps the newest ``keep`` rows of each endpoint; every run
writes one row per endpoint, so that is its last ``keep`` runs. A run prunes only the
endpoints it wrote, found through the endpoint index, so its cost follows the run's
size and not the table's; ``prune_evidence`` prunes every endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Delete, and_, bindparam, delete, func, insert, inspect, select
from sqlalchemy.engine import Connection, Row

from reconciler.desired.state import StoredState
from reconciler.plan.evidence_history import EndpointKey, EvidenceRecord
from reconciler.store.base import StateWithEvidence, StoreError
from reconciler.store.tables import check_evidence, state
from reconciler.store.transactions import Transactions

_E = check_evidence.c
_ENDPOINT = (_E.domain, _E.protocol, _E.host, _E.port)
_COLUMNS = (
    _E.run_id,
    _E.recorded_at,
    _E.source,
    *_ENDPOINT,
    _E.verdict,
    _E.failed_step,
    _E.certificate_sha256,
    _E.certificate_not_after,
    _E.tls_version,
    _E.capabilities,
    _E.message,
)


def insert_records(conn: Connection, records: Sequence[EvidenceRecord], keep: int) -> None:
    """Add ``records`` and prune, inside the caller's write transaction."""
    if keep < 1:
        raise ValueError("keep at least one run per endpoint")
    if records:
        conn.execute(insert(check_evidence), [_row(record) for record in records])
    prune_endpoints(conn, {record.key for record in records}, keep)


def prune_endpoints(conn: Connection, endpoints: Iterable[EndpointKey], keep: int) -> None:
    """Keep the newest ``keep`` rows of each of ``endpoints``. One statement per endpoint
    (sent as one batch), each a search of the endpoint index: other endpoints' rows are
    never read, so the cost follows the run, not the table."""
    params = [
        {"e_domain": d, "e_protocol": p, "e_host": h, "e_port": port}
        for d, p, h, port in sorted(set(endpoints))
    ]
    if params:
        conn.execute(_prune_one(keep), params)


def _prune_one(keep: int) -> Delete:
    same = and_(*(column == bindparam(f"e_{column.name}") for column in _ENDPOINT))
    newest = select(_E.id).where(same).order_by(_E.id.desc()).limit(keep)
    return delete(check_evidence).where(same, _E.id.not_in(newest))


def prune(conn: Connection, keep: int) -> int:
    """Keep the newest ``keep`` rows of every endpoint (reads the whole table)."""
    ranked = select(
        _E.id,
        func.row_number().over(partition_by=_ENDPOINT, order_by=_E.id.desc()).label("newer"),
    ).subquery()
    doomed = select(ranked.c.id).where(ranked.c.newer > keep)
    return int(conn.execute(delete(check_evidence).where(_E.id.in_(doomed))).rowcount)


def _row(record: EvidenceRecord) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "recorded_at": record.recorded_at,
        "source": record.source,
        "domain": record.domain,
        "protocol": record.protocol,
        "host": record.host,
        "port": record.port,
        "verdict": record.verdict,
        "failed_step": record.failed_step,
        "certificate_sha256": record.certificate_sha256,
        "certificate_not_after": record.certificate_not_after,
        "tls_version": record.tls_version,
        "capabilities": json.dumps(list(record.capabilities)),
        "message": record.message,
    }


def _record(row: Row[*tuple[Any, ...]]) -> EvidenceRecord:
    values = row._asdict()
    values["capabilities"] = tuple(json.loads(values["capabilities"]))
    return EvidenceRecord(**values)


def _has_history(conn: Connection) -> bool:
    return inspect(conn).has_table(check_evidence.name)


class EvidenceStore(Transactions):
    """The evidence methods of :class:`reconciler.store.base.Store`."""

    # The stored state as read inside an open read transaction (the SQL store's).
    _state_in: Callable[[Connection], StoredState]

    def refuse_if_read_only(self) -> None:
        if self._backend.read_only:
            raise StoreError(
                f"the store at {self.display_url} is opened read-only here; this command "
                "writes to it"
            )
        with self._errors():
            self._backend.prepare_write()

    def record_evidence(self, records: Sequence[EvidenceRecord], keep: int) -> None:
        with self._writing(create=False) as conn:
            if conn.execute(select(state.c.lineage)).first() is None:
                raise self._missing()
            insert_records(conn, records, keep)

    def prune_evidence(self, keep: int) -> int:
        if keep < 1:
            raise ValueError("keep at least one run per endpoint")
        with self._writing(create=False) as conn:
            return prune(conn, keep)

    def latest_evidence(self) -> dict[EndpointKey, EvidenceRecord]:
        with self._reading() as conn:
            if conn is None or not _has_history(conn):
                return {}
            newest = select(func.max(_E.id)).group_by(*_ENDPOINT)
            found = conn.execute(select(*_COLUMNS).where(_E.id.in_(newest)))
            return {record.key: record for record in map(_record, found)}

    def evidence_mark(self) -> int:
        """The id of the newest record (0 for none): it grows with every recorded run,
        and one index lookup reads it, so a poll can tell that an audit happened."""
        with self._reading() as conn:
            if conn is None or not _has_history(conn):
                return 0
            return int(conn.execute(select(func.max(_E.id))).scalar() or 0)

    def read_with_evidence(self) -> StateWithEvidence:
        """The stored state, the evidence mark and each endpoint's two newest records
        (newest first), all from one read transaction."""
        with self._reading() as conn:
            if conn is None:
                return StateWithEvidence(StoredState(), 0, {})
            state = self._state_in(conn)
            if not _has_history(conn):
                return StateWithEvidence(state, 0, {})
            mark = int(conn.execute(select(func.max(_E.id))).scalar() or 0)
            ranked = select(
                *_COLUMNS,
                func.row_number().over(partition_by=_ENDPOINT, order_by=_E.id.desc()).label("n"),
            ).subquery()
            newest = select(*(ranked.c[c.name] for c in _COLUMNS)).where(ranked.c.n <= 2)
            recent: dict[EndpointKey, list[EvidenceRecord]] = {}
            for row in conn.execute(newest.order_by(ranked.c.n)):  # newest first
                record = _record(row)
                recent.setdefault(record.key, []).append(record)
            return StateWithEvidence(state, mark, recent)

    def evidence_timeline(self, domain: str) -> list[EvidenceRecord]:
        with self._reading() as conn:
            if conn is None or not _has_history(conn):
                return []
            query = select(*_COLUMNS).where(_E.domain == domain).order_by(_E.id)
            return [_record(row) for row in conn.execute(query)]

"""The evidence history in the SQL store: recorded per run in one transaction, read as
the latest record per endpoint or a domain's timeline, pruned to the last runs.

A store at revision 0001 (read by a process that may not upgrade it) has no history:
it reads as empty. Pruning keeps the newest ``keep`` rows of each endpoint; every run
writes one row per endpoint, so that is its last ``keep`` runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, inspect, select
from sqlalchemy.engine import Connection, Row

from reconciler.plan.evidence_history import EndpointKey, EvidenceRecord
from reconciler.store.base import StoreError
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
    prune(conn, keep)


def prune(conn: Connection, keep: int) -> int:
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

    def evidence_timeline(self, domain: str) -> list[EvidenceRecord]:
        with self._reading() as conn:
            if conn is None or not _has_history(conn):
                return []
            query = select(*_COLUMNS).where(_E.domain == domain).order_by(_E.id)
            return [_record(row) for row in conn.execute(query)]

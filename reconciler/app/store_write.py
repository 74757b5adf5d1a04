"""What apply asks the store to write: the recomputed changes of a plan, with the
history record that names who applied it and from which plan, and the live-check
evidence the apply trusted (recorded in the same transaction, so the evidence history
never holds a baseline for settings that were not stored)."""

from __future__ import annotations

import uuid

from reconciler.desired.state import StoredState
from reconciler.plan.document import Checks, PlanDocument
from reconciler.plan.evidence_history import EvidenceRecord, records_of
from reconciler.store.base import ApplyRequest, HistoryRecord


def store_request(
    document: PlanDocument,
    trusted: PlanDocument,
    actor: str,
    commit: str | None,
    evidence: Checks | None = None,
) -> ApplyRequest:
    """The store's write of ``trusted``: the recomputed changes, checked once more by
    the store against the plan's own reference as it writes; ``evidence``: the checks
    the apply trusted, recorded (source ``plan``) for the domains it stores."""
    changes = trusted.changes
    summary = trusted.summary
    targeting = document.decisions.targeting
    return ApplyRequest(
        expected_lineage=document.store.lineage,
        expected_serial=document.store.serial,
        expected_checksum=document.store.checksum,
        creates=[c.after for c in changes if c.action == "create" and c.after],
        updates=[c.after for c in changes if c.action == "update" and c.after],
        deletes=[c.domain for c in changes if c.action == "delete"],
        connection_ranges=trusted.target.connection_ranges,
        target=StoredState(
            connection_ranges=trusted.target.connection_ranges,
            domains={d.name: d for d in trusted.target.domains},
        ),
        record=HistoryRecord(
            actor=actor,
            commit=commit,
            plan_checksum=document.checksum,
            kind="rollback" if document.source.kind == "rollback" else "apply",
            restored_serial=document.source.rollback_to,
            changes=[
                {"action": c.action, "domain": c.domain, "fields": [f.field for f in c.fields]}
                for c in changes
            ],
            summary={
                "create": summary.create,
                "update": summary.update,
                "delete": summary.delete,
                "ranges_added": summary.ranges_added,
                "ranges_removed": summary.ranges_removed,
            },
        ),
        only=frozenset(targeting.domains) if targeting and targeting.domains else None,
        excluded=frozenset(targeting.exclude) if targeting else frozenset(),
        evidence=_records(evidence, trusted),
    )


def _records(evidence: Checks | None, trusted: PlanDocument) -> list[EvidenceRecord]:
    if evidence is None or not evidence.endpoints or evidence.checked_at is None:
        return []
    stored = {d.name for d in trusted.target.domains}
    pairs = [
        (domain, endpoint.result)
        for endpoint in evidence.endpoints
        for domain in endpoint.domains
        if domain in stored
    ]
    return records_of(pairs, run_id=uuid.uuid4().hex, at=evidence.checked_at, source="plan")

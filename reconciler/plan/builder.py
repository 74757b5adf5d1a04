"""Assemble a sealed :class:`PlanDocument` from the pure diff. No I/O."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import UTC, datetime

from reconciler.desired.model import Desired
from reconciler.desired.ranges import sort_ranges
from reconciler.desired.shared_fields import shared
from reconciler.desired.state import StoredState
from reconciler.errors import Location
from reconciler.plan import gates
from reconciler.plan.allowlist import allowlist_delta
from reconciler.plan.diff import diff_rows, drift_rows, range_delta
from reconciler.plan.document import (
    Checks,
    DriftItem,
    PlanDocument,
    Source,
    SourceLocation,
    StoreRef,
    Summary,
    TargetState,
)
from reconciler.plan.flatstate import FlatState, Row, rows_checksum, rows_of


def build_plan(
    *,
    target: Desired,
    stored: StoredState | FlatState,
    source: Source,
    mailctl_version: str,
    last_applied: StoredState | FlatState | None = None,
    inbox_counts: Mapping[str, int] | None = None,
    places: Mapping[str, Location] | None = None,
    lifted: Collection[str] = (),
    store_exists: bool = True,
    now: datetime | None = None,
    target_rows: Mapping[str, Row] | None = None,
) -> PlanDocument:
    """The plan that turns ``stored`` into ``target``, with plan-time gate verdicts.

    ``stored`` and ``last_applied`` as models or as rows (:class:`FlatState`, whose
    models must include every domain whose row differs from ``target``'s): the same
    plan, byte for byte. ``target_rows``: ``target``'s rows, when already made."""
    plan = assemble(
        target=target,
        stored=stored,
        source=source,
        mailctl_version=mailctl_version,
        last_applied=last_applied,
        inbox_counts=inbox_counts,
        places=places,
        store_exists=store_exists,
        now=now,
        target_rows=target_rows,
    )
    return plan.model_copy(update={"gates": gates.evaluate(plan, lifted)}).sealed()


def assemble(
    *,
    target: Desired,
    stored: StoredState | FlatState,
    source: Source,
    mailctl_version: str,
    last_applied: StoredState | FlatState | None = None,
    inbox_counts: Mapping[str, int] | None = None,
    places: Mapping[str, Location] | None = None,
    store_exists: bool = True,
    now: datetime | None = None,
    target_rows: Mapping[str, Row] | None = None,
) -> PlanDocument:
    """The plan's content (changes, classification, summary) without gate verdicts,
    checks or checksum: what apply recomputes, and what :func:`build_plan` completes."""
    inbox_counts = inbox_counts or {}
    desired_rows = rows_of(target.domains) if target_rows is None else target_rows
    stored = stored if isinstance(stored, FlatState) else FlatState.of(stored)
    changes = diff_rows(target, desired_rows, stored, inbox_counts, _Located(places or {}))
    ranges = range_delta(stored.connection_ranges, target.connection_ranges)
    drifted: tuple[DriftItem, ...] = ()
    if stored.lineage is not None:
        if isinstance(last_applied, StoredState):
            last_applied = FlatState.of(last_applied)
        drifted = drift_rows(last_applied.rows if last_applied else {}, stored.rows)
    counts = {"create": 0, "update": 0, "delete": 0}
    for change in changes:
        counts[change.action] += 1
    summary = Summary(
        **counts,
        unchanged=len(target.domains) - counts["create"] - counts["update"],
        stored=len(stored.rows),
        drifted=len(drifted),
        ranges_added=len(ranges.added),
        ranges_removed=len(ranges.removed),
        inboxes_affected=sum(c.classification.inboxes_affected for c in changes),
    )
    return PlanDocument(
        mailctl_version=mailctl_version,
        created_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        store=StoreRef(
            lineage=stored.lineage,
            serial=stored.serial,
            checksum=rows_checksum(stored.connection_ranges, stored.rows),
            exists=store_exists,
        ),
        source=source.model_copy(
            update={"checksum": rows_checksum(target.connection_ranges, desired_rows)}
        ),
        target=TargetState(
            connection_ranges=sort_ranges(target.connection_ranges),
            domains=tuple(target.domains[name] for name in sorted(target.domains)),
        ),
        changes=changes,
        ranges=ranges,
        allowlist=allowlist_delta(
            stored.connection_ranges,
            stored.static_ip_domains(target.domains),
            target.connection_ranges,
            target.domains,
        ),
        drift=drifted,
        summary=summary,
    )


def with_checks(plan: PlanDocument, checks: Checks, lifted: Collection[str] = ()) -> PlanDocument:
    """``plan`` with the evidence of its live checks, its gates judged again, sealed."""
    checked = plan.model_copy(update={"checks": checks})
    return checked.model_copy(update={"gates": gates.evaluate(checked, lifted)}).sealed()


class _Located(Mapping[str, SourceLocation]):
    """``places`` as :class:`SourceLocation`, made only for the domains asked for (the
    changed ones), not for every desired domain."""

    def __init__(self, places: Mapping[str, Location]) -> None:
        self._places = places

    def __getitem__(self, name: str) -> SourceLocation:
        loc = self._places[name]
        return shared(SourceLocation(file=loc.file, line=loc.line, column=loc.column))

    def __iter__(self) -> Iterator[str]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._places)

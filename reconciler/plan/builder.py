"""Assemble a sealed :class:`PlanDocument` from the pure diff. No I/O."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime

from reconciler.desired.model import Desired
from reconciler.desired.ranges import sort_ranges
from reconciler.desired.state import StoredState, state_checksum
from reconciler.errors import Location
from reconciler.plan import gates
from reconciler.plan.allowlist import allowlist_delta
from reconciler.plan.diff import diff, drift, range_delta
from reconciler.plan.document import (
    Checks,
    PlanDocument,
    Source,
    SourceLocation,
    StoreRef,
    Summary,
    TargetState,
)


def build_plan(
    *,
    target: Desired,
    stored: StoredState,
    source: Source,
    mailctl_version: str,
    last_applied: StoredState | None = None,
    inbox_counts: Mapping[str, int] | None = None,
    places: Mapping[str, Location] | None = None,
    lifted: Collection[str] = (),
    store_exists: bool = True,
    now: datetime | None = None,
) -> PlanDocument:
    """The plan that turns ``stored`` into ``target``, with plan-time gate verdicts."""
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
    )
    return plan.model_copy(update={"gates": gates.evaluate(plan, lifted)}).sealed()


def assemble(
    *,
    target: Desired,
    stored: StoredState,
    source: Source,
    mailctl_version: str,
    last_applied: StoredState | None = None,
    inbox_counts: Mapping[str, int] | None = None,
    places: Mapping[str, Location] | None = None,
    store_exists: bool = True,
    now: datetime | None = None,
) -> PlanDocument:
    """The plan's content (changes, classification, summary) without gate verdicts,
    checks or checksum: what apply recomputes, and what :func:`build_plan` completes."""
    inbox_counts = inbox_counts or {}
    locations = {
        name: SourceLocation(file=loc.file, line=loc.line, column=loc.column)
        for name, loc in (places or {}).items()
    }
    changes = diff(target, stored, inbox_counts, locations)
    ranges = range_delta(stored.connection_ranges, target.connection_ranges)
    drifted = drift(last_applied, stored) if stored.lineage is not None else ()
    counts = {"create": 0, "update": 0, "delete": 0}
    for change in changes:
        counts[change.action] += 1
    summary = Summary(
        **counts,
        unchanged=len(target.domains) - counts["create"] - counts["update"],
        stored=len(stored.domains),
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
            checksum=state_checksum(stored),
            exists=store_exists,
        ),
        source=source.model_copy(update={"checksum": state_checksum(target)}),
        target=TargetState(
            connection_ranges=sort_ranges(target.connection_ranges),
            domains=tuple(target.domains[name] for name in sorted(target.domains)),
        ),
        changes=changes,
        ranges=ranges,
        allowlist=allowlist_delta(
            stored.connection_ranges, stored.domains, target.connection_ranges, target.domains
        ),
        drift=drifted,
        summary=summary,
    )


def with_checks(plan: PlanDocument, checks: Checks, lifted: Collection[str] = ()) -> PlanDocument:
    """``plan`` with the evidence of its live checks, its gates judged again, sealed."""
    checked = plan.model_copy(update={"checks": checks})
    return checked.model_copy(update={"gates": gates.evaluate(checked, lifted)}).sealed()

"""``rollback``: a plan that restores a state recorded in the store's history."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler import __version__
from reconciler.app import planfile
from reconciler.app.options import NO_THRESHOLDS, CheckOptions, Progress, Thresholds, decided
from reconciler.app.plan import Planned, with_evidence
from reconciler.app.store import opened
from reconciler.plan.builder import build_plan
from reconciler.plan.document import Source
from reconciler.plan.signing import PlanKey
from reconciler.store.base import MAX_SERIAL, Store

__all__ = ["MAX_SERIAL", "RollbackRequest", "rollback"]


@dataclass(frozen=True)
class RollbackRequest:
    """Plan a return to ``serial`` of the store at ``state_url``; the rest as for
    :class:`reconciler.app.plan.PlanRequest`."""

    serial: int
    state_url: str | None = None
    lifted: frozenset[str] = frozenset()
    checks: CheckOptions | None = None
    thresholds: Thresholds = NO_THRESHOLDS
    key: PlanKey | None = None
    out: Path | None = None


def rollback(
    request: RollbackRequest, *, store: Store | None = None, progress: Progress | None = None
) -> Planned:
    """A plan that restores the state recorded at ``request.serial``, checked (and
    signed) like any plan: an ordinary plan for apply, with the same stale check and
    gates."""
    decisions = decided(request.lifted, request.checks, request.thresholds)
    with opened(request.state_url, store) as current:
        target = current.revision(request.serial)
        document = build_plan(
            target=target.as_desired(),
            stored=current.read(),
            source=Source(kind="rollback", rollback_to=request.serial, checksum=""),
            mailctl_version=__version__,
            last_applied=current.last_applied(),
            inbox_counts=current.inbox_counts(),
            lifted=request.lifted,
        )
        checked = with_evidence(document, decisions, request.checks, progress, request.key)
    if request.out is not None:
        planfile.write(checked, request.out)
    return Planned(checked, (), request.out)

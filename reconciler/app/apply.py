"""``apply``: store a plan's target in one transaction, deciding nothing from what the
plan says about it. Two flows: a saved plan as reviewed (:func:`apply_plan`), or a
desired state planned, shown and confirmed in one go (:func:`apply_path`)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reconciler.app import planfile
from reconciler.app.options import (
    NO_THRESHOLDS,
    CheckOptions,
    Progress,
    Targets,
    Thresholds,
    honoured,
)
from reconciler.app.plan import Planned, PlanRequest, made
from reconciler.app.publish import Publish, Published, publish
from reconciler.app.recheck import Recheck, judged_on, recheck
from reconciler.app.refusals import GateBlocked as GateBlocked  # part of this API
from reconciler.app.refusals import blocked_by, nothing_applied_on_error, raced
from reconciler.app.store import opened, refuse_if_empty
from reconciler.app.store_write import store_request
from reconciler.app.targeting import EVERYTHING, Selection, outside, refuse_if_changed
from reconciler.desired.credential_env import DEFAULT as DEFAULT_CREDENTIALS
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.errors import MailctlError
from reconciler.plan import gates, signing
from reconciler.plan.checking import changed_domains
from reconciler.plan.document import Checks, GateVerdict, PlanDocument, Summary
from reconciler.plan.flatstate import rows_checksum, rows_of
from reconciler.plan.recompute import differences, recompute, target_refusals
from reconciler.plan.signing import PlanKey, Trust
from reconciler.plan.status import EXIT_ERROR, EXIT_OK, blocking, checks_failed
from reconciler.store.base import Store

if TYPE_CHECKING:
    from reconciler.allowlist.fetch import FetchOptions


@dataclass(frozen=True)
class Applied:
    serial: int | None  # None: nothing to apply
    verdicts: tuple[GateVerdict, ...]
    summary: Summary  # of the changes applied, as recomputed against the store
    published: Published | None = None  # the allowlists written afterwards, if asked

    @property
    def status(self) -> int:
        """0: a refusal is raised (:class:`GateBlocked`), never returned."""
        return EXIT_OK

    @property
    def nothing_applied(self) -> str | None:
        """Why nothing was applied (None: it was)."""
        return "no changes" if self.serial is None else None


@dataclass(frozen=True)
class ApplyPlanRequest:
    """Apply the saved plan at ``plan`` to the store at ``state_url``, for ``actor`` at
    ``commit``. Its live checks count only when signed with ``key`` and at most
    ``max_check_age`` seconds old; else the changed endpoints are checked again with
    ``checks`` (None: not checked, and the checks gate decides). The plan's recorded
    decisions rule: its lifted gates, pins, private targets, CA file, thresholds and
    targeting; ``lifted``, the targets of ``checks``, ``thresholds`` and ``targeting``
    may only repeat them. ``no_checks`` (--no-checks given) and ``targets`` (the target
    flags given, judged like those of ``checks`` when ``checks`` is None) are refused too
    when the plan does not record them: --no-checks is recorded when the plan was made
    with it, or when there is nothing to check again."""

    plan: Path
    actor: str
    commit: str | None = None
    state_url: str | None = None
    lifted: frozenset[str] = frozenset()
    lock_timeout: float = 5.0
    checks: CheckOptions | None = None
    no_checks: bool = False
    targets: Targets | None = None
    max_check_age: float = 3600.0
    thresholds: Thresholds = NO_THRESHOLDS
    targeting: Selection = EVERYTHING
    key: PlanKey | None = None
    publish: Publish | None = None


def apply_plan(
    request: ApplyPlanRequest,
    *,
    store: Store | None = None,
    progress: Progress | None = None,
    told: Callable[[Recheck], None] | None = None,
) -> Applied:
    """Read, verify and apply a saved plan with the decisions it records; ``told``
    hears why its own checks were not used (before the gates are judged, so also when
    they refuse). Raises ``NotRecorded`` for a flag the plan was not made with."""
    with nothing_applied_on_error("the plan file"):
        document = planfile.read(request.plan, request.key)
        refuse_if_changed(document.decisions, request.targeting)
        signed = signing.verify(document, request.key) is Trust.SIGNED
        rechecks = document.checks.status != "skipped" and bool(changed_domains(document))
        decided = honoured(document.decisions, request, signed=signed, rechecks=rechecks)
    with opened(request.state_url, store) as current:
        with nothing_applied_on_error("the plan file"):
            if document.store.lineage is not None:  # made against a store: it must be there
                refuse_if_empty(current, current.head())
            again = recheck(document, request.key, decided.checks, request.max_check_age, progress)
            if again.reason and told is not None:
                told(again)
            applied = apply_document(
                document,
                current,
                actor=request.actor,
                commit=request.commit,
                lifted=decided.lifted,
                lock_timeout=request.lock_timeout,
                fresh_checks=again.checks,
                key=request.key,
                saved=True,
            )
        return _with(applied, publish(current, request.publish))


@dataclass(frozen=True)
class ApplyPathRequest:
    """Plan the desired state at ``path``, then apply it (when confirmed); see
    :class:`ApplyPlanRequest` and :class:`reconciler.app.plan.PlanRequest`."""

    path: Path
    actor: str
    commit: str | None = None
    state_url: str | None = None
    lifted: frozenset[str] = frozenset()
    lock_timeout: float = 5.0
    checks: CheckOptions | None = None
    fetch: FetchOptions | None = None
    thresholds: Thresholds = NO_THRESHOLDS
    targeting: Selection = EVERYTHING
    credentials: CredentialPolicy = DEFAULT_CREDENTIALS
    publish: Publish | None = None


class Review(Protocol):
    """How a front end shows the plan and asks before it is applied."""

    def show(self, planned: Planned) -> None: ...

    def confirm(self, where: str) -> bool: ...


@dataclass(frozen=True)
class PathApplied:
    """The plan, and what became of it: ``applied`` None when it was not applied
    (no changes, refused by its status, or declined)."""

    planned: Planned
    applied: Applied | None = None
    declined: bool = False
    published: Published | None = None

    @property
    def status(self) -> int:
        """0 when applied or nothing to apply; the plan's own refusal (3 or 4); 1 when
        declined."""
        if self.declined:
            return EXIT_ERROR
        if self.applied is not None or not self.planned.document.has_changes():
            return EXIT_OK
        return self.planned.status()

    @property
    def nothing_applied(self) -> str | None:
        """Why nothing was applied, in a few words (None: it was)."""
        if self.applied is not None:
            return self.applied.nothing_applied
        document = self.planned.document
        if self.declined:
            return "declined at the prompt"
        if not document.has_changes():
            return "no changes"
        if checks_failed(document):
            return "a live check failed"
        return blocked_by(blocking(document))


def apply_path(
    request: ApplyPathRequest,
    review: Review,
    *,
    store: Store | None = None,
    progress: Progress | None = None,
) -> PathApplied:
    """Plan, show (``review``), and apply after ``review`` confirms: not when there
    are no changes (the allowlists are still published), nor when the plan is refused
    by a failed check or a gate."""
    asked = PlanRequest(
        path=request.path,
        lifted=request.lifted,
        checks=request.checks,
        fetch=request.fetch,
        thresholds=request.thresholds,
        targeting=request.targeting,
        credentials=request.credentials,
    )
    with opened(request.state_url, store) as current:
        planned = made(asked, current, progress)
        review.show(planned)
        document = planned.document
        if not document.has_changes():
            return PathApplied(planned, published=publish(current, request.publish))
        if planned.status() != EXIT_OK:
            return PathApplied(planned)  # shown above, with the flag that lifts each gate
        if not review.confirm(current.display_url):
            return PathApplied(planned, declined=True)
        with nothing_applied_on_error("the domains file"):
            applied = apply_document(
                document,
                current,
                actor=request.actor,
                commit=request.commit,
                lifted=request.lifted,
                lock_timeout=request.lock_timeout,
                fresh_checks=document.checks,  # just run, in this process
                planned_here=True,
            )
        return PathApplied(planned, _with(applied, publish(current, request.publish)))


def _with(applied: Applied, published: Published | None) -> Applied:
    return Applied(applied.serial, applied.verdicts, applied.summary, published)


def apply_document(
    document: PlanDocument,
    store: Store,
    *,
    actor: str,
    commit: str | None,
    lifted: Collection[str] = (),
    lock_timeout: float = 5.0,
    fresh_checks: Checks | None = None,
    key: PlanKey | None = None,
    saved: bool = False,
    planned_here: bool = False,
) -> Applied:
    """Apply ``document``'s target, deciding nothing from what the plan says about it.

    Under the lock, the target is diffed against the store again (``recompute``): a
    store that moved on, changes unlike the plan's, or any outside the plan's recorded
    targeting, refuse it as stale. Every gate
    is judged on that recomputation, with live inbox counts, and with ``fresh_checks``
    or else the plan's own evidence only when its signature verifies with ``key``
    (raises ``SignatureMismatch`` when a signature does not). One transaction.
    ``saved``: a refusal names a new plan as the way to lift a gate. ``planned_here``:
    the plan was made by this very run (no saved plan), so a stale store is a race."""
    trust = signing.verify(document, key)
    refusals = target_refusals(document)
    if refusals:
        raise MailctlError(
            "plan refused: " + "; ".join(refusals) + "; nothing was applied. Run mailctl plan "
            "again from a domains file"
        )
    evidence = judged_on(document, trust, fresh_checks)
    with store.lock(actor, lock_timeout):
        target = rows_of({d.name: d for d in document.target.domains})
        current = store.read_flat(target)  # rows; models only of those unlike the target's
        counts = store.inbox_counts()
        trusted = recompute(document, current, counts, target)
        beyond = outside(
            document.decisions.targeting,
            (c.domain for c in trusted.changes),
            bool(trusted.ranges.added or trusted.ranges.removed),
        )
        unlike = differences(document, trusted)
        if beyond:
            unlike.append(f"it changes {', '.join(beyond[:5])}, outside its targeting")
        checksum = rows_checksum(current.connection_ranges, current.rows)
        stale = gates.stale(document, current.lineage, current.serial, checksum, unlike)
        if planned_here and not stale.passed:
            stale = raced(document, current)
        verdicts = (
            stale,
            *gates.evaluate(trusted, lifted, gates.GateFacts(inbox_counts=counts, checks=evidence)),
        )
        refused = gates.blocked(verdicts)
        if refused:
            raise GateBlocked(refused, saved=saved)
        summary = trusted.summary
        if not trusted.has_changes():
            return Applied(serial=None, verdicts=verdicts, summary=summary)
        return Applied(
            serial=store.apply(store_request(document, trusted, actor, commit, evidence)),
            verdicts=verdicts,
            summary=summary,
        )

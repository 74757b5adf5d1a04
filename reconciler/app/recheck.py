"""Which live-check evidence apply judges a saved plan's checks gate on: the plan's own
only when it is authentic (signed with the plan key) and fresh; otherwise the changed
endpoints are checked again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler.app.check import check_changes
from reconciler.app.options import CheckOptions, Progress, ca_unchanged
from reconciler.plan import signing
from reconciler.plan.checking import changed_domains, skipped
from reconciler.plan.document import Checks, PlanDocument
from reconciler.plan.signing import PlanKey, Trust

_UNTRUSTED = {
    Trust.NO_KEY: f"{signing.PLAN_KEY_ENV} is not set, so the plan's signature cannot be verified",
    Trust.UNSIGNED: f"the plan is not signed (it was made without {signing.PLAN_KEY_ENV})",
}


@dataclass(frozen=True)
class Recheck:
    """The evidence apply judges the checks gate on, when not the plan's own."""

    checks: Checks | None  # fresh results; None: not run again
    reason: str  # why the plan's own evidence is not used ("": it is)


def recheck(
    document: PlanDocument,
    key: PlanKey | None,
    options: CheckOptions | None,
    max_age: float,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Recheck:
    """Check the changed endpoints again unless the plan's evidence is both authentic
    (signed with ``key``) and at most ``max_age`` seconds old. Not when the plan was
    made with --no-checks (its gate asks for --allow-unchecked), nor when ``options``
    is None (--no-checks now: the reason is kept, and apply refuses to trust the
    plan's evidence anyway). Raises ``SignatureMismatch`` for a bad signature, and
    ``CaFileChanged`` when the plan's CA file is no longer the one it recorded."""
    trust = signing.verify(document, key)
    if document.checks.status == "skipped" or not changed_domains(document):
        return Recheck(None, "")
    reason = _UNTRUSTED.get(trust, "")
    checked_at = document.checks.checked_at
    if not reason and checked_at is not None:
        age = ((now or datetime.now(UTC)) - datetime.fromisoformat(checked_at)).total_seconds()
        if age > max_age:
            reason = f"the plan's live checks are {age:.0f}s old (--max-check-age {max_age:g})"
    if not reason or options is None:
        return Recheck(None, reason)
    ca_unchanged(document.decisions, options)
    return Recheck(check_changes(document, options, progress), reason)


def judged_on(document: PlanDocument, trust: Trust, fresh: Checks | None) -> Checks:
    """What the checks gate is judged on: ``fresh`` results, else the plan's own when
    they are authentic or say the checks were skipped (which can only block)."""
    if fresh is not None:
        return fresh
    if trust is Trust.SIGNED or document.checks.status == "skipped":
        return document.checks
    return skipped(f"the plan's own results are not trusted: {_UNTRUSTED[trust]}")

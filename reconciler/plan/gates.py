"""Gates: may this plan be applied? Pure functions of the plan and a few facts.

Each gate has a name and, except ``stale``, a named override (a command-line flag).
A blocked gate says which flag lifts it, so the refusal teaches the way forward.

At plan time the plan is the one just built; at apply it is the saved plan's target
recomputed against the store (``plan.recompute``), never the saved file's own
classification or summary, and the checks gate gets evidence apply can trust.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from reconciler.plan.checking import unproven
from reconciler.plan.decisions import FLAGS
from reconciler.plan.document import Checks, GateVerdict, PlanDocument

# One table with the decisions a plan records, so every lifted gate can be recorded.
OVERRIDES = FLAGS


@dataclass(frozen=True)
class GateFacts:
    """What gates need beyond the plan itself, as known when they are evaluated."""

    inbox_counts: Mapping[str, int] | None = None  # live counts at apply; None: use the plan's
    checks: Checks | None = None  # fresh re-check results at apply; None: use the plan's


def _verdict(gate: str, blocked: bool, message: str, lifted: Collection[str]) -> GateVerdict:
    override = OVERRIDES.get(gate)
    if blocked and gate in lifted:
        return GateVerdict(
            gate=gate,
            passed=True,
            message=f"{message} (allowed by {override})",
            override=override,
            overridden=True,
        )
    return GateVerdict(gate=gate, passed=not blocked, message=message, override=override)


def mass_change(plan: PlanDocument, lifted: Collection[str]) -> GateVerdict:
    """Blocks when more than the plan's recorded share of the stored domains is changed
    or deleted (``plan.decisions.limits``: the defaults unless the plan was made with
    other thresholds). Below the floor the share means nothing (1 of 3 is 33%), so the
    gate does not judge, and says so rather than "passed"."""
    limits = plan.decisions.limits
    stored = plan.summary.stored
    touched = plan.summary.update + plan.summary.delete
    if stored < limits.floor:
        return GateVerdict(
            gate="mass-change",
            passed=True,
            judged=False,
            message=f"not judged: fewer than {limits.floor} stored domains "
            f"({touched} of {stored} changed or deleted)",
            override=OVERRIDES["mass-change"],
        )
    share = touched / stored if stored else 0.0
    blocked = touched * 100 > limits.percent * stored  # integers: 3 of 10 is not over 30%
    message = (
        f"{touched} of {stored} stored domains changed or deleted ({share:.0%}; "
        f"the limit is {limits.percent}%)"
    )
    return _verdict("mass-change", blocked, message, lifted)


def downgrade(plan: PlanDocument, lifted: Collection[str]) -> GateVerdict:
    found = [
        f"{c.domain}: {reason}" for c in plan.changes for reason in c.classification.downgrades
    ]
    message = "security downgrade: " + "; ".join(found) if found else "no security downgrade"
    return _verdict("downgrade", bool(found), message, lifted)


def delete_with_inboxes(
    plan: PlanDocument, lifted: Collection[str], counts: Mapping[str, int] | None
) -> GateVerdict:
    found = []
    for change in plan.changes:
        if change.action != "delete":
            continue
        inboxes = (
            counts.get(change.domain, 0)
            if counts is not None
            else change.classification.inboxes_affected
        )
        if inboxes:
            found.append(f"{change.domain} ({inboxes} inbox{'' if inboxes == 1 else 'es'})")
    message = (
        "deletes domains with connected inboxes: " + ", ".join(found)
        if found
        else "no deleted domain has connected inboxes"
    )
    return _verdict("delete-with-inboxes", bool(found), message, lifted)


def checks(plan: PlanDocument, lifted: Collection[str], fresh: Checks | None) -> GateVerdict:
    """Every created or changed domain's endpoints were checked live and passed."""
    problems = unproven(plan, fresh if fresh is not None else plan.checks)
    message = (
        "live checks: " + "; ".join(problems)
        if problems
        else "every created or changed endpoint passed its live check"
    )
    return _verdict("checks", bool(problems), message, lifted)


def evaluate(
    plan: PlanDocument, lifted: Collection[str] = (), facts: GateFacts | None = None
) -> tuple[GateVerdict, ...]:
    facts = facts or GateFacts()
    return (
        checks(plan, lifted, facts.checks),
        mass_change(plan, lifted),
        downgrade(plan, lifted),
        delete_with_inboxes(plan, lifted, facts.inbox_counts),
    )


def stale(
    plan: PlanDocument,
    lineage: str | None,
    serial: int,
    checksum: str,
    unlike: Sequence[str] = (),
) -> GateVerdict:
    """The store must be exactly the one the plan was made against, and the plan's
    changes exactly what its target changes in it (``unlike``: how they differ, from
    ``recompute.differences``). No override."""
    problems = []
    if plan.store.lineage is not None and plan.store.lineage != lineage:
        problems.append(f"the store's lineage {lineage} is not the plan's {plan.store.lineage}")
    if plan.store.lineage is None and serial != 0:
        problems.append(f"the store was created since the plan was made (serial {serial})")
    if plan.store.serial != serial:
        problems.append(f"the store's serial {serial} is not the plan's {plan.store.serial}")
    elif plan.store.checksum != checksum:
        problems.append("the store's content changed outside mailctl since the plan was made")
    if problems:
        return GateVerdict(
            gate="stale",
            passed=False,
            message="saved plan is stale: " + "; ".join(problems) + "; run mailctl plan again",
        )
    if unlike:
        # The store is the one planned against, yet the plan's changes are not what its
        # target makes of it: the file was edited (and sealed again) or is not mailctl's.
        return GateVerdict(
            gate="stale",
            passed=False,
            message="saved plan is stale: " + "; ".join(unlike) + "; run mailctl plan again",
        )
    return GateVerdict(gate="stale", passed=True, message="plan matches the store")


def blocked(verdicts: tuple[GateVerdict, ...]) -> list[GateVerdict]:
    return [v for v in verdicts if not v.passed]

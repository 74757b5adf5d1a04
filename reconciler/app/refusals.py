"""How apply says it refused: the gates that blocked it, and a stale store met by a
plan this very run made (a race, not an old saved plan)."""

from __future__ import annotations

from collections.abc import Collection

from reconciler.desired.state import StoredState
from reconciler.errors import Blocked
from reconciler.plan.document import GateVerdict, PlanDocument


class GateBlocked(Blocked):
    """Apply refused by one or more gates (exit code 4)."""

    def __init__(self, verdicts: Collection[GateVerdict], *, saved: bool = False) -> None:
        self.verdicts = tuple(verdicts)
        # A saved plan is applied with the gates it lifts and no others: the way
        # forward is a new plan, made (and reviewed) with the flag.
        way = "make the plan again with" if saved else "to apply anyway:"
        lines = []
        for verdict in self.verdicts:
            lift = f"; {way} {verdict.override}" if verdict.override else ""
            lines.append(f"blocked by gate {verdict.gate}: {verdict.message}{lift}")
        lines.append(f"Nothing applied: {blocked_by(self.verdicts)}.")
        super().__init__("\n".join(lines))


def blocked_by(verdicts: Collection[GateVerdict]) -> str:
    """The gates that refused, in a few words: "blocked by gate checks"."""
    gates = ", ".join(v.gate for v in verdicts)
    return f"blocked by gate{'s' if len(verdicts) > 1 else ''} {gates}"


def raced(document: PlanDocument, current: StoredState) -> GateVerdict:
    """The stale refusal of a plan made by this run: someone changed the store between
    this run's plan and its apply."""
    planned = document.store
    if planned.lineage is not None and planned.lineage != current.lineage:
        moved = f"it is another store now (lineage {current.lineage})"
    elif planned.serial != current.serial:
        moved = f"serial {planned.serial} when planned, {current.serial} now"
    else:
        moved = "its content was changed outside mailctl"
    moved = f"the store changed while this apply ran ({moved}); run it again"
    return GateVerdict(gate="stale", passed=False, message=moved)

"""How apply says it refused: the gates that blocked it, a stale store met by a plan
this very run made (a race, not an old saved plan), and the closing "Nothing applied"
line of every other error that stopped an apply before it stored anything."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator

from reconciler.app.options import CaFileChanged, NotRecorded, NotRepeated
from reconciler.app.store import NoStore
from reconciler.desired.state import StoredState
from reconciler.errors import Blocked, InputError, MailctlError
from reconciler.plan.document import GateVerdict, PlanDocument
from reconciler.plan.flatstate import FlatState
from reconciler.plan.signing import PlanKeyError, SignatureMismatch
from reconciler.store.base import LockTimeout

NOTHING_APPLIED = "Nothing applied: "

# Why an error left the store as it was, in a few words; the first match counts.
_WHY: tuple[tuple[type[MailctlError], str], ...] = (
    (LockTimeout, "the store is locked by another run"),
    (NotRecorded, "the plan was not made with these flags"),
    (NotRepeated, "the unsigned plan's decisions were not repeated"),
    (SignatureMismatch, "the plan's signature does not verify"),
    (PlanKeyError, "the plan key cannot be used"),
    (CaFileChanged, "the CA file is not the plan's"),
    (NoStore, "there is no store"),
)


def why_nothing(exc: MailctlError, reading: str) -> str:
    """Why ``exc`` left the store as it was, in a few words; ``reading`` names what an
    input error was found in ("the plan file", "the domains file")."""
    for kind, why in _WHY:
        if isinstance(exc, kind):
            return why
    if isinstance(exc, InputError):
        return f"{reading} cannot be used as it is"
    return "stopped by the error above"


@contextlib.contextmanager
def nothing_applied_on_error(reading: str) -> Iterator[None]:
    """Around the part of an apply that stores nothing until its one transaction
    commits: a MailctlError leaving it gains the note ``Nothing applied: <why>.``
    (:func:`why_nothing`), which the error boundary prints last. A refusal that
    already ends with that line (a gate's) is left as it is."""
    try:
        yield
    except MailctlError as exc:
        if NOTHING_APPLIED not in str(exc):
            exc.add_note(f"{NOTHING_APPLIED}{why_nothing(exc, reading)}.")
        raise


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
        lines.append(f"{NOTHING_APPLIED}{blocked_by(self.verdicts)}.")
        super().__init__("\n".join(lines))


def blocked_by(verdicts: Collection[GateVerdict]) -> str:
    """The gates that refused, in a few words: "blocked by gate checks"."""
    gates = ", ".join(v.gate for v in verdicts)
    return f"blocked by gate{'s' if len(verdicts) > 1 else ''} {gates}"


def raced(document: PlanDocument, current: StoredState | FlatState) -> GateVerdict:
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

"""The exit status of a plan: the one rule the command line and the CI report share.

Exit codes are part of mailctl's interface (documented in the README):

* 0: no changes (or changes, without ``--detailed-exitcode``);
* 1: an error in input or usage (decided where the error is caught, not here);
* 2: changes present, with ``--detailed-exitcode``;
* 3: a live connection check failed;
* 4: blocked by a gate.

A plan's status is a pure function of its document, whose gates were evaluated with
the overrides the run was given. A gate that blocks the plan blocks its apply too, so
``plan`` exits 4 exactly when applying that very plan (with the same overrides) would
be refused: a plan made with ``--no-checks`` and without ``--allow-unchecked`` exits 4.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the exit codes import nothing heavy
    from reconciler.plan.document import GateVerdict, PlanDocument

EXIT_OK = 0  # success, no changes
EXIT_ERROR = 1  # error in input or usage (or an internal error, reported as such)
EXIT_CHANGES = 2  # changes present (plan --detailed-exitcode)
EXIT_CHECK_FAILED = 3  # a live connection check failed
EXIT_BLOCKED = 4  # blocked by a gate

MEANINGS = {
    EXIT_OK: "no changes",
    EXIT_ERROR: "error in input or usage",
    EXIT_CHANGES: "changes present",
    EXIT_CHECK_FAILED: "a live connection check failed",
    EXIT_BLOCKED: "blocked by a gate",
}
PASSING = frozenset({EXIT_OK, EXIT_CHANGES})  # 1, 3 and 4 fail a CI check


def blocking(document: PlanDocument) -> list[GateVerdict]:
    """The gates that refuse this plan's apply (an overridden gate has passed)."""
    return [v for v in document.gates if not v.passed]


def checks_failed(document: PlanDocument) -> bool:
    """A live check failed and the checks gate was not lifted (``--allow-unchecked``)."""
    if document.checks.status != "failed":
        return False
    return not any(v.gate == "checks" and v.overridden for v in document.gates)


def exit_status(document: PlanDocument, *, detailed: bool = False) -> int:
    """3 if a live check failed, else 4 if a gate blocks, else 2 for changes when
    ``detailed``, else 0."""
    if checks_failed(document):
        return EXIT_CHECK_FAILED
    if blocking(document):
        return EXIT_BLOCKED
    if detailed and document.has_changes():
        return EXIT_CHANGES
    return EXIT_OK

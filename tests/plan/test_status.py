"""The exit status of a plan: one rule for ``mailctl plan`` and the CI report, and
``plan`` exits 4 exactly when the apply of that plan would be refused."""

from __future__ import annotations

from reconciler.plan.builder import build_plan, with_checks
from reconciler.plan.checking import skipped
from reconciler.plan.document import Checks, PlanDocument, Source
from reconciler.plan.status import (
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_CHECK_FAILED,
    EXIT_OK,
    blocking,
    exit_status,
)
from tests.plan.factory import desired, domain, stored
from tests.render import plans


def _planned(checks: Checks, lifted: tuple[str, ...] = (), *, change: bool = True) -> PlanDocument:
    before = stored(domain("a.example"))
    after = (
        desired(domain("a.example", imap={"port": 995})) if change else desired(domain("a.example"))
    )
    made = build_plan(
        target=after,
        stored=before,
        source=Source(kind="desired", path="d.yaml", checksum=""),
        mailctl_version="0.1.0",
        last_applied=before,
        lifted=lifted,
    )
    return with_checks(made, checks, lifted)


def test_no_changes_is_0_with_or_without_detailed_exitcode() -> None:
    plan = _planned(skipped("--no-checks"), change=False)
    assert exit_status(plan) == EXIT_OK
    assert exit_status(plan, detailed=True) == EXIT_OK


def test_changes_are_2_only_with_detailed_exitcode() -> None:
    plan = _planned(skipped("--no-checks"), ("checks",))
    assert exit_status(plan, detailed=True) == EXIT_CHANGES
    assert exit_status(plan) == EXIT_OK


def test_an_unchecked_plan_is_blocked_as_its_apply_would_be() -> None:
    plan = _planned(skipped("--no-checks"))
    assert [v.gate for v in blocking(plan)] == ["checks"]
    assert exit_status(plan, detailed=True) == EXIT_BLOCKED
    assert exit_status(plan) == EXIT_BLOCKED


def test_a_failed_live_check_is_3_unless_the_checks_gate_is_lifted() -> None:
    failed = plans.shared()
    assert failed.checks.status == "failed"
    assert exit_status(failed, detailed=True) == EXIT_CHECK_FAILED
    lifted = with_checks(failed, failed.checks, ("checks",))
    assert exit_status(lifted, detailed=True) == EXIT_CHANGES


def test_a_blocking_gate_other_than_checks_is_4() -> None:
    before = stored(domain("a.example"))
    made = build_plan(
        target=desired(domain("a.example", imap={"port": 143, "security": "none"})),
        stored=before,
        source=Source(kind="desired", path="d.yaml", checksum=""),
        mailctl_version="0.1.0",
        last_applied=before,
        lifted=("checks",),
    )
    downgraded = with_checks(made, skipped("--no-checks"), ("checks",))
    assert [v.gate for v in blocking(downgraded)] == ["downgrade"]
    assert exit_status(downgraded, detailed=True) == EXIT_BLOCKED

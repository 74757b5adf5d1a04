"""Which endpoints a plan must prove, and the checks gate. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.desired.model import Domain
from reconciler.plan import gates
from reconciler.plan.builder import build_plan, with_checks
from reconciler.plan.checking import evidence, skipped, targets_of, unproven
from reconciler.plan.document import PlanDocument, Source
from reconciler.plan.evidence import CheckResult, CheckTarget
from tests.plan.factory import desired, domain, stored

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def shared(name: str) -> Domain:
    return domain(
        name,
        imap={"host": "imap.provider.example"},
        smtp={"host": "smtp.provider.example"},
    )


def test_domains_sharing_a_server_share_one_target() -> None:
    targets = targets_of([shared("b.example"), shared("a.example"), domain("c.example")])
    assert len(targets) == 4
    provider = CheckTarget(protocol="imap", host="imap.provider.example", port=993, security="ssl")
    assert targets[provider] == ("a.example", "b.example")


def test_a_different_certificate_policy_is_a_different_target() -> None:
    pinned = domain(
        "p.example",
        imap={"host": "imap.provider.example"},
        allow_non_secure_certificate=True,
        certificate_sha256="AB",
    )
    targets = targets_of([shared("a.example"), pinned])
    imap_targets = [t for t in targets if t.protocol == "imap"]
    assert len(imap_targets) == 2


def plan_of(*domains: Domain) -> PlanDocument:
    return build_plan(
        target=desired(*domains),
        stored=stored(),
        source=Source(kind="desired", checksum=""),
        mailctl_version="0",
        now=NOW,
    )


def result(target: CheckTarget, ok: bool) -> CheckResult:
    return CheckResult(
        target=target,
        verdict="passed" if ok else "failed",
        failed_step=None if ok else "tls",
        message="" if ok else f"{target.host}:{target.port}: certificate has expired",
    )


def test_checks_gate_blocks_until_every_changed_endpoint_passed() -> None:
    plan = plan_of(domain("a.example"))
    verdict = {v.gate: v for v in plan.gates}["checks"]
    assert not verdict.passed and verdict.override == "--allow-unchecked"
    assert "was not checked" in verdict.message

    targets = targets_of([domain("a.example")])
    passing = evidence(targets, [result(t, True) for t in targets], NOW)
    assert unproven(plan, passing) == []
    checked = with_checks(plan, passing)
    assert {v.gate: v.passed for v in checked.gates}["checks"] is True
    assert checked.checksum == checked.compute_checksum()

    first, second = targets
    failing = evidence(targets, [result(first, True), result(second, False)], NOW)
    assert failing.status == "failed"
    (problem,) = unproven(plan, failing)
    assert problem == (
        "smtp://smtp.a.example:587/starttls (a.example) failed: "
        "smtp.a.example:587: certificate has expired"
    )
    lifted = gates.checks(plan, {"checks"}, failing)
    assert lifted.passed and lifted.overridden


def test_skipped_checks_say_why_and_no_change_needs_none() -> None:
    plan = plan_of(domain("a.example"))
    assert unproven(plan, skipped("--no-checks")) == [
        "the changed domains were not checked (--no-checks)"
    ]
    nothing = build_plan(
        target=desired(domain("a.example")),
        stored=stored(domain("a.example")),
        source=Source(kind="desired", checksum=""),
        mailctl_version="0",
        now=NOW,
    )
    assert unproven(nothing, skipped("x")) == []
    assert evidence({}, [], NOW).status == "not_run"

"""The plan, apply, rollback, check and planfile use cases called in process, as any
front end calls them: typed requests in, result values with their status out, the
store opened by the use case from its URL. No network: every plan is made with the
live checks off."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.allowlist.formats import FORMATS
from reconciler.app import planfile
from reconciler.app.apply import (
    ApplyPathRequest,
    ApplyPlanRequest,
    GateBlocked,
    apply_path,
    apply_plan,
)
from reconciler.app.check import CheckRequest, check
from reconciler.app.options import PinError, Targets, pins
from reconciler.app.plan import Planned, PlanRequest, plan
from reconciler.app.publish import Publish
from reconciler.app.recheck import Recheck
from reconciler.app.rollback import RollbackRequest, rollback
from reconciler.errors import InputError
from reconciler.plan.status import EXIT_BLOCKED, EXIT_CHANGES, EXIT_ERROR, EXIT_OK
from reconciler.store.open import open_store

DOMAINS = (
    "version: 1\nconnection_ips:\n  ranges: [192.0.2.0/28]\ndomains:\n"
    "  a.example:\n    imap: {host: imap.a.example}\n    smtp: {host: smtp.a.example}\n"
    "    use_static_ip_addresses: true\n"
)
UNCHECKED = frozenset({"checks"})


@dataclass
class Review:
    """A front end's review: remembers what it was shown and answers as told."""

    answer: bool
    shown: list[Planned] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    def show(self, planned: Planned) -> None:
        self.shown.append(planned)

    def confirm(self, where: str) -> bool:
        self.asked.append(where)
        return self.answer


@pytest.fixture
def domains(tmp_path: Path) -> Path:
    path = tmp_path / "domains.yaml"
    path.write_text(DOMAINS)
    return path


@pytest.fixture
def state(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"


def serial(state: str) -> int:
    store = open_store(state)
    try:
        return store.read().serial
    finally:
        store.close()


def test_plan_opens_the_store_itself_and_saves_a_plan_that_reads_back(
    tmp_path: Path, domains: Path, state: str
) -> None:
    out = tmp_path / "plan.json"
    planned = plan(PlanRequest(domains, state_url=state, lifted=UNCHECKED, out=out))
    assert planned.saved == out
    assert planned.status() == EXIT_OK
    assert planned.status(detailed=True) == EXIT_CHANGES
    assert planfile.read(out) == planned.document


def test_an_unchecked_plan_has_the_status_its_apply_would_be_refused_with(
    domains: Path, state: str
) -> None:
    planned = plan(PlanRequest(domains, state_url=state))
    assert planned.status() == EXIT_BLOCKED
    assert [v.gate for v in planned.document.gates if not v.passed] == ["checks"]


def test_apply_path_shows_then_asks_and_a_no_applies_nothing(domains: Path, state: str) -> None:
    review = Review(answer=False)
    result = apply_path(
        ApplyPathRequest(domains, "test", state_url=state, lifted=UNCHECKED), review
    )
    assert len(review.shown) == 1 and len(review.asked) == 1
    assert result.declined and result.applied is None
    assert result.status == EXIT_ERROR
    assert serial(state) == 0


def test_apply_path_refused_by_its_plan_never_asks(domains: Path, state: str) -> None:
    review = Review(answer=True)
    result = apply_path(ApplyPathRequest(domains, "test", state_url=state), review)
    assert review.asked == []
    assert result.applied is None and result.status == EXIT_BLOCKED
    assert serial(state) == 0


def test_apply_path_applies_then_publishes_and_a_second_run_has_nothing_to_do(
    tmp_path: Path, domains: Path, state: str
) -> None:
    out = tmp_path / "firewall"
    publish = Publish(out, (FORMATS["txt"],))
    request = ApplyPathRequest(domains, "test", state_url=state, lifted=UNCHECKED, publish=publish)
    first = apply_path(request, Review(answer=True))
    assert first.applied is not None and first.applied.serial == 1
    assert first.status == EXIT_OK
    published = first.applied.published
    assert published is not None and published.allowlist is not None
    assert (out / "a.example.txt").is_file()
    again = Review(answer=True)
    second = apply_path(request, again)
    assert again.asked == [] and second.applied is None and second.status == EXIT_OK
    assert second.published is not None  # published even when there is nothing to apply


def test_apply_plan_refuses_by_the_gate_the_plan_did_not_lift_and_names_a_new_plan(
    tmp_path: Path, domains: Path, state: str
) -> None:
    out = tmp_path / "plan.json"
    plan(PlanRequest(domains, state_url=state, out=out))
    told: list[Recheck] = []
    with pytest.raises(GateBlocked, match="make the plan again with --allow-unchecked"):
        apply_plan(ApplyPlanRequest(out, "test", state_url=state), told=told.append)
    assert serial(state) == 0
    assert told == []  # made with --no-checks: nothing to re-check, the gate decides


def test_apply_plan_refuses_an_edited_plan_before_opening_the_store(
    tmp_path: Path, domains: Path, state: str
) -> None:
    out = tmp_path / "plan.json"
    plan(PlanRequest(domains, state_url=state, lifted=UNCHECKED, out=out))
    out.write_text(out.read_text().replace("a.example", "b.example"))
    missing = tmp_path / "no-store.db"
    with pytest.raises(InputError, match="checksum does not match"):
        apply_plan(ApplyPlanRequest(out, "test", state_url=f"sqlite:///{missing}"))
    assert not missing.exists()


def test_rollback_is_an_ordinary_plan_that_applies(
    tmp_path: Path, domains: Path, state: str
) -> None:
    apply_path(ApplyPathRequest(domains, "test", state_url=state, lifted=UNCHECKED), Review(True))
    domains.write_text(DOMAINS.replace("a.example", "b.example"))
    apply_path(ApplyPathRequest(domains, "test", state_url=state, lifted=UNCHECKED), Review(True))
    out = tmp_path / "rollback.json"
    back = rollback(RollbackRequest(1, state_url=state, lifted=UNCHECKED, out=out))
    assert back.document.source.kind == "rollback" and back.saved == out
    assert back.status(detailed=True) == EXIT_CHANGES
    applied = apply_plan(ApplyPlanRequest(out, "test", state_url=state, lifted=UNCHECKED))
    assert applied.serial == 3


def test_check_names_an_unknown_domain_as_an_input_error(domains: Path) -> None:
    with pytest.raises(InputError, match=r"no such domain in the desired state: c\.example"):
        check(CheckRequest(domains, ("c.example",)))


def test_targets_build_the_check_and_feed_options_alike() -> None:
    targets = Targets(allow_private=True, pinned=pins(["mail.example=127.0.0.1"]))
    checks = targets.checks(deadline=5, pool=2)
    fetch = targets.fetch(timeout=7)
    assert (checks.allow_private, checks.pinned, checks.deadline, checks.pool) == (
        True,
        {"mail.example": ["127.0.0.1"]},
        5,
        2,
    )
    assert (fetch.allow_private, fetch.pinned, fetch.timeout) == (
        True,
        {"mail.example": ["127.0.0.1"]},
        7,
    )
    with pytest.raises(PinError):
        pins(["mail.example=127.1"])

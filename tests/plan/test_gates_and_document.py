"""Gates, the sealed plan document, its checksum and its schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest

from reconciler.desired.model import Desired
from reconciler.desired.schemas import render
from reconciler.desired.state import StoredState, state_checksum
from reconciler.plan import gates
from reconciler.plan.builder import build_plan
from reconciler.plan.document import PlanDocument, Source
from tests.plan.factory import desired, domain, stored

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def make(target: Desired, current: StoredState, **kwargs: object) -> PlanDocument:
    # The live-checks gate has its own tests (test_checking.py); here it is lifted.
    kwargs["lifted"] = {"checks", *kwargs.get("lifted", ())}  # type: ignore[misc]
    return build_plan(
        target=target,
        stored=current,
        source=Source(kind="desired", path="domains.yaml", checksum=""),
        mailctl_version="0.1.0",
        now=NOW,
        **kwargs,  # type: ignore[arg-type]
    )


def verdicts(plan: PlanDocument) -> dict[str, bool]:
    return {v.gate: v.passed for v in plan.gates}


def many(n: int, **overrides: object) -> list:  # type: ignore[type-arg]
    return [domain(f"d{i:02}.example", **overrides) for i in range(n)]


def test_mass_change_blocks_above_30_percent_of_at_least_10() -> None:
    current = stored(*many(10))
    three = desired(*many(3, imap={"port": 1}), *many(10)[3:])
    four = desired(*many(4, imap={"port": 1}), *many(10)[4:])
    assert verdicts(make(three, current))["mass-change"] is True
    blocked = make(four, current)
    assert verdicts(blocked)["mass-change"] is False
    (verdict,) = gates.blocked(blocked.gates)
    assert verdict.message == "4 of 10 stored domains changed or deleted (40%; the limit is 30%)"
    assert verdict.override == "--allow-mass-change"
    lifted = make(four, current, lifted={"mass-change"})
    assert verdicts(lifted)["mass-change"] is True
    # Deleting 5 of 9: below the floor of 10 stored domains, the share is not judged.
    assert verdicts(make(desired(*many(4)), stored(*many(9))))["mass-change"] is True


def test_downgrade_gate_names_domain_and_reason() -> None:
    plan = make(
        desired(domain("a.example", imap={"security": "none"})), stored(domain("a.example"))
    )
    (verdict,) = gates.blocked(plan.gates)
    assert verdict.gate == "downgrade"
    assert verdict.message == "security downgrade: a.example: imap security ssl -> none"
    assert verdict.override == "--allow-downgrade"


def test_delete_with_inboxes_uses_live_counts_when_given() -> None:
    plan = make(desired(), stored(domain("a.example")), inbox_counts={"a.example": 2})
    assert verdicts(plan)["delete-with-inboxes"] is False
    live = gates.evaluate(plan, (), gates.GateFacts(inbox_counts={}))
    assert all(v.passed for v in live)
    again = gates.evaluate(plan, (), gates.GateFacts(inbox_counts={"a.example": 5}))
    assert "a.example (5 inboxes)" in gates.blocked(again)[0].message


def test_stale_gate() -> None:
    current = stored(domain("a.example"))
    plan = make(desired(), current)
    checksum = state_checksum(current)
    assert gates.stale(plan, "L1", 3, checksum).passed
    assert "lineage L2" in gates.stale(plan, "L2", 3, checksum).message
    assert "serial 4 is not the plan's 3" in gates.stale(plan, "L1", 4, checksum).message
    changed = gates.stale(plan, "L1", 3, "sha256:other")
    assert not changed.passed and "changed outside mailctl" in changed.message
    assert changed.override is None


def test_first_plan_against_no_store() -> None:
    plan = make(desired(domain("a.example")), StoredState(), store_exists=False)
    assert plan.store.lineage is None and plan.store.serial == 0
    assert gates.stale(plan, None, 0, state_checksum(StoredState())).passed
    assert not gates.stale(plan, "L9", 1, "x").passed


def test_document_is_sealed_round_trips_and_validates_against_schema() -> None:
    current = stored(domain("a.example", imap={"port": 143}))
    plan = make(
        desired(
            domain("a.example"),
            domain("b.example", use_static_ip_addresses=True),
            ranges=("192.0.2.0/28",),
        ),
        current,
        last_applied=current,
    )
    assert plan.checksum == plan.compute_checksum()
    again = PlanDocument.model_validate_json(plan.to_json())
    assert again == plan and again.compute_checksum() == plan.checksum
    jsonschema.validate(json.loads(plan.to_json()), json.loads(render("plan")))
    assert plan.summary.model_dump() == {
        "create": 1,
        "update": 1,
        "delete": 0,
        "unchanged": 0,
        "stored": 1,
        "drifted": 0,
        "ranges_added": 1,
        "ranges_removed": 0,
        "inboxes_affected": 0,
    }


def test_checksum_detects_any_edit() -> None:
    plan = make(desired(domain("a.example")), stored())
    data = json.loads(plan.to_json())
    data["target"]["domains"][0]["imap"]["port"] = 994
    edited = PlanDocument.model_validate(data)
    assert edited.compute_checksum() != edited.checksum


@pytest.mark.parametrize("n", [0, 1, 50])
def test_unchanged_counts(n: int) -> None:
    ds = many(n)
    plan = make(desired(*ds), stored(*ds))
    assert plan.summary.unchanged == n and not plan.has_changes()


@pytest.mark.parametrize(
    ("lineage", "serial", "checksum", "said"),
    [
        ("b" * 32, 3, "x", f"the store's lineage {'b' * 32} is not the plan's {'a' * 32}"),
        ("a" * 32, 4, "x", "the store's serial 4 is not the plan's 3"),
        ("a" * 32, 3, "y", "the store's content changed outside mailctl since the plan was made"),
    ],
)
def test_each_stale_store_is_said_in_a_sentence(
    lineage: str, serial: int, checksum: str, said: str
) -> None:
    plan = _plan_against("a" * 32, 3, "x")
    verdict = gates.stale(plan, lineage, serial, checksum)
    assert verdict.message == f"saved plan is stale: {said}; run mailctl plan again"


def test_a_store_created_after_its_plan_is_said_in_a_sentence() -> None:
    verdict = gates.stale(_plan_against(None, 0, "x"), "c" * 32, 1, "x")
    assert verdict.message == (
        "saved plan is stale: the store was created since the plan was made (serial 1); "
        "the store's serial 1 is not the plan's 0; run mailctl plan again"
    )


def _plan_against(lineage: str | None, serial: int, checksum: str) -> PlanDocument:
    plan = build_plan(
        target=desired(),
        stored=StoredState(),
        source=Source(kind="desired", checksum=""),
        mailctl_version="0",
    )
    return plan.model_copy(
        update={
            "store": plan.store.model_copy(
                update={"lineage": lineage, "serial": serial, "checksum": checksum}
            )
        }
    )

"""The mass-change gate: a share judged against the plan's recorded thresholds, and
"not judged" (never "passed") while fewer stored domains than its floor exist."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reconciler.plan import gates
from reconciler.plan.builder import build_plan
from reconciler.plan.decisions import Decisions, MassChange, recorded
from reconciler.plan.document import GateVerdict, PlanDocument, Source
from reconciler.render import plan_markdown, plan_text
from tests.plan.factory import desired, domain, stored


def many(n: int, **overrides: object) -> list:  # type: ignore[type-arg]
    return [domain(f"d{i:02}.example", **overrides) for i in range(n)]


def moving(changed: int, of: int, limits: MassChange | None = None) -> PlanDocument:
    """A plan changing ``changed`` of ``of`` stored domains, made with ``limits``."""
    target = desired(*many(changed, imap={"port": 1}), *many(of)[changed:])
    plan = build_plan(
        target=target,
        stored=stored(*many(of)),
        source=Source(kind="desired", path="domains.yaml", checksum=""),
        mailctl_version="0.1.0",
    )
    return plan.model_copy(update={"decisions": Decisions(mass_change=limits)})


def verdict(plan: PlanDocument) -> GateVerdict:
    return gates.mass_change(plan, lifted=())


def test_below_the_floor_the_gate_says_not_judged_not_passed() -> None:
    few = moving(2, 3)
    judged = verdict(few)
    assert judged.passed and not judged.judged and not judged.overridden
    assert judged.message == (
        "not judged: fewer than 10 stored domains (2 of 3 changed or deleted)"
    )
    text = plan_text.render(few.model_copy(update={"gates": gates.evaluate(few)}), colour=False)
    assert "mass-change: not judged: fewer than 10 stored domains" in text
    assert "passed: mass-change" not in text and "the limit is 30%" not in text
    markdown = plan_markdown.render(few.model_copy(update={"gates": gates.evaluate(few)}))
    assert "| ✅ | <code>mass-change</code>" not in markdown
    assert "| ⚪ | <code>mass-change</code> | not judged" in markdown


def test_from_the_floor_on_the_share_is_judged_against_the_default_limit() -> None:
    assert verdict(moving(3, 10)).passed  # 30% is not over 30% (no float rounding)
    over = verdict(moving(4, 10))
    assert not over.passed and over.judged
    assert over.message == "4 of 10 stored domains changed or deleted (40%; the limit is 30%)"


def test_the_plans_recorded_thresholds_decide() -> None:
    assert verdict(moving(4, 10, MassChange(percent=50))).passed
    stricter = verdict(moving(3, 10, MassChange(percent=20)))
    assert not stricter.passed and "the limit is 20%" in stricter.message
    low_floor = verdict(moving(2, 3, MassChange(floor=3)))
    assert not low_floor.passed and low_floor.judged
    assert "2 of 3 stored domains changed or deleted (67%; the limit is 30%)" in low_floor.message
    assert not verdict(moving(2, 3, MassChange(floor=0))).passed
    assert verdict(moving(2, 3, MassChange(floor=0, percent=100))).passed


def test_thresholds_are_validated_and_defaults_are_not_recorded() -> None:
    with pytest.raises(ValidationError):
        MassChange(percent=101)
    with pytest.raises(ValidationError):
        MassChange(floor=-1)
    assert recorded((), {}, False, None, MassChange()).mass_change is None
    assert not recorded((), {}, False, None, MassChange())
    looser = recorded((), {}, False, None, MassChange(percent=40))
    assert looser and looser.mass_change == MassChange(percent=40, floor=10)

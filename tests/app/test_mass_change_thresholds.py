"""The mass-change thresholds are plan-time decisions: given by option or variable,
recorded in the plan (covered by its checksum and signature, shown in its renderings)
and judged at ``apply PLAN`` from the plan, never from the apply's own flags. Through
the use cases with a real SQLite store, live checks off (the checks gate lifted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.app import planfile
from reconciler.app.apply import (
    ApplyPathRequest,
    ApplyPlanRequest,
    GateBlocked,
    apply_path,
    apply_plan,
)
from reconciler.app.options import NotRecorded, NotRepeated, Thresholds
from reconciler.app.plan import PlanRequest, plan
from reconciler.app.rollback import RollbackRequest, rollback
from reconciler.errors import InputError
from reconciler.plan.decisions import MassChange
from reconciler.render import plan_markdown, plan_text
from tests.ten_domains_support import KEY, Yes, domains_file, stored_hosts

UNCHECKED = frozenset({"checks"})


@pytest.fixture
def state(tmp_path: Path) -> str:
    """A store holding ten domains (serial 1)."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    seed = domains_file(tmp_path / "seed.yaml")
    seeded = apply_path(ApplyPathRequest(seed, "seed", state_url=url, lifted=UNCHECKED), Yes())
    assert seeded.applied is not None
    return url


def saved(tmp_path: Path, state: str, moved: int, thresholds: Thresholds, *, signed: bool) -> Path:
    """A plan moving ``moved`` of the ten stored domains, made with ``thresholds``."""
    out = tmp_path / "plan.json"
    path = domains_file(tmp_path / "d.yaml", moved=moved)
    key = KEY if signed else None
    plan(
        PlanRequest(
            path, state_url=state, lifted=UNCHECKED, thresholds=thresholds, key=key, out=out
        )
    )
    return out


def applying(out: Path, state: str, *, signed: bool, **given: object) -> ApplyPlanRequest:
    return ApplyPlanRequest(
        out,
        "test",
        state_url=state,
        lifted=UNCHECKED,
        key=KEY if signed else None,
        **given,  # type: ignore[arg-type]
    )


def test_the_plan_records_its_thresholds_and_shows_them(tmp_path: Path, state: str) -> None:
    out = saved(tmp_path, state, 4, Thresholds(percent=50), signed=True)
    document = planfile.read(out, KEY)
    assert document.decisions.mass_change == MassChange(percent=50, floor=10)
    assert json.loads(out.read_text())["decisions"]["mass_change"] == {"percent": 50, "floor": 10}
    gate = {v.gate: v for v in document.gates}["mass-change"]
    assert gate.passed and not gate.overridden and "the limit is 50%" in gate.message
    shown = "mass-change limit 50%, judged from 10 stored domains (--mass-change-percent 50"
    assert shown in plan_text.render(document, colour=False)
    assert shown in plan_markdown.render(document)


def test_an_edit_of_the_thresholds_breaks_the_checksum(tmp_path: Path, state: str) -> None:
    out = saved(tmp_path, state, 4, Thresholds(percent=50), signed=False)
    data = json.loads(out.read_text())
    data["decisions"]["mass_change"]["percent"] = 100
    out.write_text(json.dumps(data))
    with pytest.raises(InputError, match="checksum"):
        planfile.read(out, None)


def test_apply_of_a_signed_plan_judges_with_the_recorded_thresholds(
    tmp_path: Path, state: str
) -> None:
    out = saved(tmp_path, state, 4, Thresholds(percent=50), signed=True)
    applied = apply_plan(applying(out, state, signed=True))
    judged = {v.gate: v for v in applied.verdicts}["mass-change"]
    assert applied.serial == 2
    assert judged.passed and "4 of 10" in judged.message and "the limit is 50%" in judged.message
    assert stored_hosts(state)["d03.example"] == "imap.new.d03.example"


def test_stricter_recorded_thresholds_hold_at_apply_without_repeating(
    tmp_path: Path, state: str
) -> None:
    # 3 of 10 passes the default 30% but not the plan's 20%: apply must judge with 20%.
    out = saved(tmp_path, state, 3, Thresholds(percent=20), signed=False)
    with pytest.raises(GateBlocked, match="the limit is 20%"):
        apply_plan(applying(out, state, signed=False))
    assert stored_hosts(state)["d00.example"] == "imap.d00.example"


def test_a_threshold_the_plan_did_not_record_is_refused_at_apply(
    tmp_path: Path, state: str
) -> None:
    out = saved(tmp_path, state, 4, Thresholds(), signed=True)
    with pytest.raises(NotRecorded, match="not made with --mass-change-percent 50"):
        apply_plan(applying(out, state, signed=True, thresholds=Thresholds(percent=50)))
    with pytest.raises(NotRecorded, match="not made with --mass-change-floor 20"):
        apply_plan(applying(out, state, signed=True, thresholds=Thresholds(floor=20)))
    # Repeating the defaults is no new decision.
    with pytest.raises(GateBlocked, match="the limit is 30%"):
        apply_plan(applying(out, state, signed=True, thresholds=Thresholds(30, 10)))
    assert stored_hosts(state)["d00.example"] == "imap.d00.example"


def test_looser_thresholds_of_an_unsigned_plan_count_only_when_repeated(
    tmp_path: Path, state: str
) -> None:
    out = saved(tmp_path, state, 4, Thresholds(percent=50, floor=11), signed=False)
    with pytest.raises(NotRepeated, match="give --mass-change-percent 50, --mass-change-floor 11"):
        apply_plan(applying(out, state, signed=False))
    with pytest.raises(NotRepeated, match="give --mass-change-floor 11"):
        apply_plan(applying(out, state, signed=False, thresholds=Thresholds(percent=50)))
    assert stored_hosts(state)["d00.example"] == "imap.d00.example"
    repeated = applying(out, state, signed=False, thresholds=Thresholds(percent=50, floor=11))
    assert apply_plan(repeated).serial == 2


def test_apply_path_and_rollback_take_thresholds(tmp_path: Path, state: str) -> None:
    path = domains_file(tmp_path / "d.yaml", moved=4)
    refused = ApplyPathRequest(path, "test", state_url=state, lifted=UNCHECKED)
    assert apply_path(refused, Yes()).applied is None  # 40% is over the default 30%
    looser = ApplyPathRequest(
        path, "test", state_url=state, lifted=UNCHECKED, thresholds=Thresholds(percent=40)
    )
    done = apply_path(looser, Yes())
    assert done.applied is not None and done.applied.serial == 2
    assert done.planned.document.decisions.mass_change == MassChange(percent=40)
    back = rollback(
        RollbackRequest(1, state_url=state, lifted=UNCHECKED, thresholds=Thresholds(floor=0))
    )
    assert back.document.decisions.mass_change == MassChange(floor=0)

"""A saved plan keeps the decisions it was made with: the gates it lifts, its --resolve
pins, private targets and CA file. ``apply PLAN`` honours exactly those and refuses a
flag of its own that the plan does not record; an edit of the decisions is an edit of
the plan. In process, through the use cases, with a real SQLite store and the live
checks off (their re-check with the recorded settings is in tests/checks)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import get_args

import pytest

from reconciler.allowlist.fetch import FetchOptions
from reconciler.app import planfile
from reconciler.app.apply import ApplyPathRequest, ApplyPlanRequest, apply_path, apply_plan
from reconciler.app.options import CheckOptions, NotRecorded, NotRepeated, Targets
from reconciler.app.plan import PlanRequest, plan
from reconciler.app.rollback import RollbackRequest, rollback
from reconciler.errors import InputError
from reconciler.plan import gates
from reconciler.plan.decisions import FLAGS, Decisions, LiftableGate
from reconciler.plan.document import PlanDocument
from reconciler.plan.signing import PlanKey
from reconciler.render import plan_github, plan_markdown, plan_text
from tests.conftest import Run
from tests.ten_domains_support import KEY, KEY_TEXT, Yes, domains_file, stored_hosts

LIFTED = frozenset({"checks", "mass-change"})


@pytest.fixture
def state(tmp_path: Path) -> str:
    """A store holding the ten domains (serial 1)."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first = ApplyPathRequest(
        domains_file(tmp_path / "first.yaml"), "seed", state_url=url, lifted=frozenset({"checks"})
    )
    assert apply_path(first, Yes()).applied is not None
    return url


@pytest.fixture
def ca(tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot read as a certificate here\n")
    return path


def saved(
    tmp_path: Path,
    state: str,
    lifted: frozenset[str],
    fetch: FetchOptions | None = None,
    key: PlanKey | None = None,
) -> Path:
    """A plan moving 4 of the 10 stored domains, made without live checks."""
    out = tmp_path / "plan.json"
    path = domains_file(tmp_path / "d.yaml", moved=4)
    plan(PlanRequest(path, state_url=state, lifted=lifted, fetch=fetch, key=key, out=out))
    return out


def test_the_gates_a_signed_plan_lifts_stay_lifted_at_apply(tmp_path: Path, state: str) -> None:
    out = saved(tmp_path, state, lifted=LIFTED, key=KEY)
    document = planfile.read(out, KEY)
    assert document.decisions.lifted == ("checks", "mass-change")
    assert {v.gate for v in document.gates if v.overridden} == {"checks", "mass-change"}
    applied = apply_plan(ApplyPlanRequest(out, "test", state_url=state, key=KEY))
    assert applied.serial == 2
    # The recomputed gates were judged, with the plan's overrides.
    judged = {v.gate: v for v in applied.verdicts}
    assert judged["mass-change"].overridden and "4 of 10" in judged["mass-change"].message
    assert judged["checks"].overridden and judged["downgrade"].passed
    assert stored_hosts(state)["d00.example"] == "imap.new.d00.example"


@pytest.mark.parametrize("key", [None, KEY], ids=["unsigned", "no key at apply"])
def test_an_unverified_plan_lifts_a_gate_only_when_the_apply_repeats_it(
    tmp_path: Path, state: str, key: PlanKey | None
) -> None:
    # Anyone can seal an unsigned plan again, so its recorded overrides are intent that
    # the apply must repeat; a signed plan's are honoured as recorded (above).
    out = saved(tmp_path, state, lifted=LIFTED, key=key)
    before = stored_hosts(state)
    with pytest.raises(NotRepeated, match="the saved plan is not signed") as refused:
        apply_plan(ApplyPlanRequest(out, "test", state_url=state))
    assert "give --allow-unchecked, --allow-mass-change (as the plan shows)" in str(refused.value)
    assert stored_hosts(state) == before
    only_one = ApplyPlanRequest(out, "test", state_url=state, lifted=frozenset({"checks"}))
    with pytest.raises(NotRepeated, match="give --allow-mass-change"):
        apply_plan(only_one)
    repeated = apply_plan(ApplyPlanRequest(out, "test", state_url=state, lifted=LIFTED))
    assert repeated.serial == 2


@pytest.mark.parametrize(
    ("lifted", "checks", "named"),
    [
        (LIFTED | {"downgrade"}, None, "--allow-downgrade"),
        (LIFTED, CheckOptions(allow_private=True), "--allow-private-targets"),
        (LIFTED, CheckOptions(pinned={"imap.d00.example": ["192.0.2.7"]}), "--resolve"),
    ],
)
def test_an_apply_flag_the_plan_does_not_record_is_refused_before_the_store_is_touched(
    tmp_path: Path,
    state: str,
    lifted: frozenset[str],
    checks: CheckOptions | None,
    named: str,
) -> None:
    out = saved(tmp_path, state, lifted=LIFTED)
    before = stored_hosts(state)
    request = ApplyPlanRequest(out, "test", state_url=state, lifted=lifted, checks=checks)
    with pytest.raises(NotRecorded, match="make the plan again with them") as refused:
        apply_plan(request)
    assert f"the saved plan was not made with {named}" in str(refused.value)
    assert stored_hosts(state) == before


def test_a_gate_lifted_only_at_apply_is_refused_and_a_plan_made_with_it_applies(
    tmp_path: Path, state: str
) -> None:
    out = saved(tmp_path, state, lifted=frozenset({"checks"}))
    with pytest.raises(NotRecorded, match="not made with --allow-mass-change"):
        apply_plan(ApplyPlanRequest(out, "test", state_url=state, lifted=LIFTED))
    out = saved(tmp_path, state, lifted=LIFTED)
    # Repeating what the plan records is not a new decision.
    assert apply_plan(ApplyPlanRequest(out, "test", state_url=state, lifted=LIFTED)).serial == 2


def test_a_ca_file_the_plan_does_not_record_is_refused(
    tmp_path: Path, state: str, ca: Path
) -> None:
    out = saved(tmp_path, state, lifted=LIFTED)
    with pytest.raises(NotRecorded, match=f"not made with --ca-file {ca}"):
        apply_plan(ApplyPlanRequest(out, "test", state_url=state, checks=CheckOptions(ca_file=ca)))


def test_the_plan_records_every_decision_and_only_the_ca_files_identity(
    tmp_path: Path, state: str, ca: Path
) -> None:
    reach = Targets(allow_private=True, ca_file=ca, pinned={"imap.d00.example": ["192.0.2.7"]})
    out = saved(tmp_path, state, lifted=LIFTED, fetch=reach.fetch(timeout=5.0))
    raw = json.loads(out.read_text())
    assert raw["decisions"] == {
        "lifted": ["checks", "mass-change"],
        "pins": {"imap.d00.example": ["192.0.2.7"]},
        "allow_private_targets": True,
        "ca_file": {"path": str(ca), "sha256": hashlib.sha256(ca.read_bytes()).hexdigest()},
        "mass_change": None,  # the default thresholds decide nothing
    }
    assert "not read as a certificate" not in out.read_text()


def test_rollback_records_its_decisions_too(tmp_path: Path, state: str) -> None:
    planned = rollback(RollbackRequest(1, state_url=state, lifted=frozenset({"checks"})))
    assert planned.document.decisions == Decisions(lifted=("checks",))


def edited(out: Path, change: dict[str, object], *, reseal: bool) -> None:
    data = json.loads(out.read_text())
    data["decisions"].update(change)
    document = PlanDocument.model_validate(data)
    out.write_text((document.sealed() if reseal else document).to_json())


def test_an_edit_of_the_decisions_breaks_the_checksum_like_any_other(
    tmp_path: Path, state: str
) -> None:
    out = saved(tmp_path, state, lifted=frozenset({"checks"}))
    edited(out, {"lifted": ["checks", "mass-change"]}, reseal=False)
    with pytest.raises(InputError, match="checksum does not match"):
        apply_plan(ApplyPlanRequest(out, "test", state_url=state))
    assert stored_hosts(state)["d00.example"] == "imap.d00.example"


@pytest.mark.parametrize(
    "change",
    [
        {"lifted": ["checks", "mass-change"]},
        {"pins": {"imap.d00.example": ["198.51.100.1"]}},
        {"allow_private_targets": True},
    ],
)
def test_a_resealed_edit_of_a_signed_plans_decisions_breaks_its_signature(
    tmp_path: Path, state: str, change: dict[str, object]
) -> None:
    out = saved(tmp_path, state, lifted=frozenset({"checks"}), key=KEY)
    edited(out, change, reseal=True)
    with pytest.raises(InputError, match="changed after it was signed"):
        apply_plan(ApplyPlanRequest(out, "test", state_url=state, key=KEY))
    assert stored_hosts(state)["d00.example"] == "imap.d00.example"


def test_a_plan_saved_before_decisions_were_recorded_keeps_its_checksum_and_signature(
    tmp_path: Path, state: str
) -> None:
    out = tmp_path / "plan.json"
    plan(PlanRequest(domains_file(tmp_path / "d.yaml", moved=1), state_url=state, key=KEY, out=out))
    data = json.loads(out.read_text())
    # No targeting is written as no key (as before targeting existed).
    assert data.pop("decisions") == Decisions().model_dump(mode="json", exclude={"targeting"})
    out.write_text(json.dumps(data))
    assert planfile.read(out, KEY).decisions == Decisions()


def test_every_rendering_shows_the_decisions(tmp_path: Path, state: str, ca: Path) -> None:
    reach = Targets(allow_private=True, ca_file=ca, pinned={"imap.d00.example": ["192.0.2.7"]})
    out = saved(tmp_path, state, lifted=LIFTED, fetch=reach.fetch(timeout=5.0))
    document = planfile.read(out)
    digest = hashlib.sha256(ca.read_bytes()).hexdigest()
    text = plan_text.render(document, colour=False)
    assert "Decisions (a saved plan is applied with exactly these):" in text
    for line in (
        "gate checks lifted (--allow-unchecked)",
        "gate mass-change lifted (--allow-mass-change)",
        "--resolve imap.d00.example=192.0.2.7",
        "private targets allowed (--allow-private-targets)",
        f"--ca-file {ca} (sha256 {digest})",
    ):
        assert f"    {line}" in text
    markdown = plan_markdown.render(document)
    assert "### Decisions" in markdown
    assert "- gate mass-change lifted (--allow-mass-change)" in markdown
    github = plan_github.render(document).splitlines()
    (notice,) = [line for line in github if "mailctl plan decisions" in line]
    assert notice.startswith("::warning ") and "--resolve imap.d00.example=192.0.2.7" in notice


def test_a_plan_without_decisions_renders_as_before(tmp_path: Path, state: str) -> None:
    planned = plan(PlanRequest(domains_file(tmp_path / "d.yaml"), state_url=state))
    assert not planned.document.decisions
    assert "Decisions" not in plan_text.render(planned.document, colour=False)
    assert "Decisions" not in plan_markdown.render(planned.document)


def test_every_liftable_gate_can_be_recorded() -> None:
    assert gates.OVERRIDES == FLAGS
    assert set(FLAGS) == set(get_args(LiftableGate))


@pytest.mark.smoke
def test_mailctl_applies_a_saved_plan_with_the_gates_it_lifted(
    tmp_path: Path, state: str, run_mailctl: Run
) -> None:
    """The command the issue was seen with, run for real."""
    path = domains_file(tmp_path / "d.yaml", moved=4)
    out = tmp_path / "p.json"
    flags = ("--no-checks", "--allow-unchecked", "--allow-mass-change")
    unsigned = run_mailctl("plan", str(path), "--state", state, *flags, "--out", str(out))
    assert unsigned.returncode == 0, unsigned.stderr
    refused = run_mailctl("apply", str(out), "--state", state)
    assert refused.returncode == 1
    assert "the saved plan is not signed" in refused.stderr
    keyed = {"MAILCTL_PLAN_KEY": KEY_TEXT}
    made = run_mailctl("plan", str(path), "--state", state, *flags, "--out", str(out), env=keyed)
    assert made.returncode == 0, made.stderr
    assert "overridden: mass-change" in made.stdout
    assert "gate mass-change lifted (--allow-mass-change)" in made.stdout
    late = run_mailctl("apply", str(out), "--state", state, "--allow-downgrade", env=keyed)
    assert late.returncode == 1
    assert "the saved plan was not made with --allow-downgrade" in late.stderr
    applied = run_mailctl("apply", str(out), "--state", state, env=keyed)
    assert applied.returncode == 0, applied.stderr
    assert "Applied: serial 2 (0 created, 4 updated" in applied.stdout

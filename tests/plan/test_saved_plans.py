"""A saved plan is data anyone could edit and seal again: apply recomputes its changes
and every gate from its target against a real store, and trusts its check evidence
only when the plan is signed with the shared key. No network here: every plan is
made with --no-checks or has its checks gate lifted (tests/checks/test_plan_trust.py
re-checks against real servers)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.app import planfile
from reconciler.app.apply import Applied, ApplyPlanRequest, GateBlocked, apply_document, apply_plan
from reconciler.app.options import NotRepeated
from reconciler.app.plan import PlanRequest
from reconciler.app.plan import plan as make_plan
from reconciler.app.recheck import Recheck, recheck
from reconciler.desired.state import state_checksum
from reconciler.errors import InputError, MailctlError
from reconciler.plan.document import PlanDocument
from reconciler.plan.signing import (
    PLAN_KEY_ENV,
    PlanKey,
    PlanKeyError,
    SignatureMismatch,
    Trust,
    key_from_env,
    verify,
)
from reconciler.store.base import Store
from reconciler.store.open import open_store

KEY = PlanKey(b"k" * 32)
OTHER_KEY = PlanKey(b"o" * 32)


def yaml_of(*domains: tuple[str, str, str], ranges: tuple[str, ...] = ()) -> str:
    """Domains as ``(name, imap security, smtp security)``; hosts follow the name."""
    lines = ["version: 1"]
    if ranges:
        lines += ["connection_ips:", "  ranges:"]
        lines += [f"    - {r}" for r in ranges]
    lines.append("domains:")
    for name, imap, smtp in domains:
        lines += [
            f"  {name}:",
            f"    imap: {{host: imap.{name}, port: 993, security: {imap}}}",
            f"    smtp: {{host: smtp.{name}, port: 465, security: {smtp}}}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        yield opened
    finally:
        opened.close()


Planner = Callable[..., PlanDocument]


@pytest.fixture
def planned(tmp_path: Path, store: Store) -> Planner:
    """Plan a domains file (with --no-checks) against the store."""

    def plan(text: str, key: PlanKey | None = None) -> PlanDocument:
        path = tmp_path / "domains.yaml"
        path.write_text(text)
        return make_plan(PlanRequest(path, checks=None, key=key), store=store).document

    return plan


def applied(document: PlanDocument, store: Store, **options: Any) -> Applied:
    options.setdefault("lifted", {"checks"})
    return apply_document(document, store, actor="test", commit=None, **options)


def seed(planned: Planner, store: Store, text: str) -> None:
    assert applied(planned(text), store).serial is not None


def forged(document: PlanDocument, edit: Callable[[dict[str, Any]], None]) -> PlanDocument:
    """``document`` edited as JSON and sealed again with mailctl's own code, as anyone
    with the package could."""
    data = json.loads(document.to_json())
    edit(data)
    return PlanDocument.model_validate(data).sealed()


def saved(tmp_path: Path, document: PlanDocument) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(document.to_json())
    return path


def fingerprint(store: Store) -> tuple[int, str]:
    state = store.read()
    return state.serial, state_checksum(state)


def blocked_gates(excinfo: pytest.ExceptionInfo[GateBlocked]) -> dict[str, str]:
    return {v.gate: v.message for v in excinfo.value.verdicts}


def test_a_downgrade_with_its_classification_emptied_and_resealed_is_still_gated(
    tmp_path: Path, planned: Planner, store: Store
) -> None:
    seed(planned, store, yaml_of(("a.example", "ssl", "ssl")))
    honest = planned(yaml_of(("a.example", "none", "ssl")))
    assert honest.changes[0].classification.downgrades == ("imap security ssl -> none",)

    def hide(data: dict[str, Any]) -> None:
        for change in data["changes"]:
            change["classification"]["downgrades"] = []
        for verdict in data["gates"]:
            verdict["passed"] = True

    lying = planfile.read(saved(tmp_path, forged(honest, hide)))  # the checksum holds
    before = fingerprint(store)
    with pytest.raises(GateBlocked) as refused:
        applied(lying, store)
    assert blocked_gates(refused) == {
        "downgrade": "security downgrade: a.example: imap security ssl -> none"
    }
    assert fingerprint(store) == before
    # The flag lifts the recomputed gate, as it would for the honest plan.
    assert applied(lying, store, lifted={"checks", "downgrade"}).serial == before[0] + 1


@pytest.mark.parametrize(
    ("lifted", "named"),
    [(["checks", "downgrade"], "--allow-downgrade"), (["checks"], "--allow-unchecked")],
)
def test_a_downgrade_whose_decisions_were_forged_to_lift_its_gate_is_refused(
    tmp_path: Path, planned: Planner, store: Store, lifted: list[str], named: str
) -> None:
    seed(planned, store, yaml_of(("a.example", "ssl", "ssl")))
    honest = planned(yaml_of(("a.example", "none", "ssl")))

    def lift(data: dict[str, Any]) -> None:
        data["decisions"]["lifted"] = lifted

    path = saved(tmp_path, forged(honest, lift))
    before = fingerprint(store)
    request = ApplyPlanRequest(path, "test", state_url=store.display_url)
    with pytest.raises(NotRepeated, match=f"the saved plan is not signed.*give.*{named}"):
        apply_plan(request, store=store)
    assert fingerprint(store) == before


def test_a_mass_change_with_its_summary_rewritten_is_still_gated(
    planned: Planner, store: Store
) -> None:
    names = [f"d{i:02}.example" for i in range(10)]
    seed(planned, store, yaml_of(*[(n, "ssl", "ssl") for n in names]))
    deleting_four = planned(yaml_of(*[(n, "ssl", "ssl") for n in names[4:]]))

    def shrink(data: dict[str, Any]) -> None:
        data["summary"]["delete"] = 0
        data["summary"]["stored"] = 1000
        for change in data["changes"]:
            change["classification"]["deletion"] = False

    with pytest.raises(GateBlocked) as refused:
        applied(forged(deleting_four, shrink), store)
    assert blocked_gates(refused) == {
        "mass-change": "4 of 10 stored domains changed or deleted (40%; the limit is 30%)"
    }


def _retarget_imap_port(data: dict[str, Any]) -> None:
    data["target"]["domains"][0]["imap"]["port"] = 1993


def _rewrite_change(data: dict[str, Any]) -> None:
    data["changes"][0]["after"]["imap"]["port"] = 1993


def _shift_range_delta(data: dict[str, Any]) -> None:
    data["ranges"]["added"] = ["198.51.100.0/24"]


def _double_target(data: dict[str, Any]) -> None:
    twin = json.loads(json.dumps(data["target"]["domains"][0]))
    twin["imap"]["security"] = "none"
    data["target"]["domains"].append(twin)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (_retarget_imap_port, "its changes are not what its target changes in the store now"),
        (_rewrite_change, "its changes are not what its target changes in the store now"),
        (_double_target, "its target is not in the form mailctl writes"),
        (_shift_range_delta, "its connection range changes are not what its target changes now"),
    ],
)
def test_changes_unlike_what_the_target_makes_of_the_store_are_stale(
    planned: Planner, store: Store, edit: Callable[[dict[str, Any]], None], problem: str
) -> None:
    seed(planned, store, yaml_of(("a.example", "ssl", "starttls"), ranges=("192.0.2.0/28",)))
    document = planned(yaml_of(("a.example", "ssl", "ssl"), ranges=("192.0.2.0/28",)))
    before = fingerprint(store)
    with pytest.raises(GateBlocked) as refused:
        applied(forged(document, edit), store)
    stale = refused.value.verdicts[0]
    assert stale.gate == "stale" and stale.override is None
    assert stale.message.startswith(f"saved plan is stale: {problem}")
    assert stale.message.endswith("; run mailctl plan again")
    assert fingerprint(store) == before
    # Unedited, the same plan applies, and what it wrote is its target.
    assert applied(document, store).serial == before[0] + 1
    assert store.read().domains["a.example"].smtp.security == "ssl"


def _widened(ranges: list[str]) -> Callable[[dict[str, Any]], None]:
    """Target and range delta edited together, so the plan is not stale."""

    def edit(data: dict[str, Any]) -> None:
        before = data["ranges"]["before"]
        data["target"]["connection_ranges"] = ranges
        data["ranges"].update(
            after=ranges,
            added=[r for r in ranges if r not in before],
            removed=[r for r in before if r not in ranges],
        )

    return edit


@pytest.mark.parametrize(
    ("ranges", "problem"),
    [
        (["0.0.0.0/1", "128.0.0.0/1"], "together they collapse to 0.0.0.0/0"),
        (["::/1", "8000::/1"], "together they collapse to ::/0"),
        (["0.0.0.0/0"], "0.0.0.0/0"),
        (["192.0.2.0/255.255.255.0"], "writes a mask"),
        (["192.0.2.1/24"], "'192.0.2.1/24'"),
    ],
)
def test_a_target_no_domains_file_could_make_is_refused(
    planned: Planner, store: Store, ranges: list[str], problem: str
) -> None:
    seed(planned, store, yaml_of(("a.example", "ssl", "ssl"), ranges=("192.0.2.0/28",)))
    document = planned(yaml_of(("a.example", "ssl", "ssl"), ("b.example", "ssl", "ssl")))
    before = fingerprint(store)
    with pytest.raises(MailctlError) as refused:
        applied(forged(document, _widened(ranges)), store, key=KEY)
    message = str(refused.value)
    assert message.startswith("plan refused: its target's connection range")
    assert problem in message
    assert "nothing was applied" in message
    assert fingerprint(store) == before


def _renamed(data: dict[str, Any]) -> None:
    for where in (data["target"]["domains"][0], data["changes"][0]["after"]):
        where["name"] = "../../EVIL/x"
    data["changes"][0]["domain"] = "../../EVIL/x"


def _port_zero(data: dict[str, Any]) -> None:
    for where in (data["target"]["domains"][0], data["changes"][0]["after"]):
        where["imap"]["port"] = 0


def _bad_host(data: dict[str, Any]) -> None:
    data["target"]["domains"][0]["smtp"]["host"] = "bad host\nX: y"


def _bad_pin(data: dict[str, Any]) -> None:
    data["target"]["domains"][0]["certificate_sha256"] = "made-up"


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (_renamed, "its target's domain the name '../../EVIL/x'"),
        (_port_zero, "its target's domain imap.port 0 is no port (1-65535)"),
        (_bad_host, "its target's domain smtp.host 'bad host\\nX: y'"),
        (_bad_pin, "its target's domain certificate_sha256 'made-up'"),
    ],
)
def test_a_target_domain_no_domains_file_could_make_is_refused(
    planned: Planner, store: Store, edit: Callable[[dict[str, Any]], None], problem: str
) -> None:
    # Edited consistently (target and change alike) and sealed again, a plan is not
    # stale; what it would store is judged by the loader's rules before anything else.
    seed(planned, store, yaml_of(("b.example", "ssl", "ssl")))
    document = planned(yaml_of(("a.example", "ssl", "ssl"), ("b.example", "ssl", "ssl")))
    before = fingerprint(store)
    with pytest.raises(MailctlError) as refused:
        applied(forged(document, edit), store, key=KEY)
    assert str(refused.value).startswith("plan refused: ")
    assert problem in str(refused.value)
    assert fingerprint(store) == before
    assert applied(document, store).serial == before[0] + 1  # unedited, it applies


def test_the_store_moving_on_is_stale_as_before(planned: Planner, store: Store) -> None:
    seed(planned, store, yaml_of(("a.example", "ssl", "starttls")))
    document = planned(yaml_of(("a.example", "ssl", "ssl")))
    seed(planned, store, yaml_of(("a.example", "ssl", "starttls"), ("b.example", "ssl", "ssl")))
    with pytest.raises(GateBlocked) as refused:
        applied(document, store)
    (stale,) = refused.value.verdicts
    assert stale.message == (
        "saved plan is stale: the store's serial 2 is not the plan's 1; run mailctl plan again"
    )


def test_the_applied_summary_is_the_recomputed_one(planned: Planner, store: Store) -> None:
    seed(planned, store, yaml_of(("a.example", "ssl", "starttls")))
    document = planned(yaml_of(("a.example", "ssl", "ssl"), ("b.example", "ssl", "ssl")))

    def inflate(data: dict[str, Any]) -> None:
        data["summary"]["create"] = 7

    result = applied(forged(document, inflate), store)
    assert (result.summary.create, result.summary.update) == (1, 1)
    (entry,) = [h for h in store.history() if h.serial == result.serial]
    assert entry.summary["create"] == 1


def test_unchecked_evidence_is_not_trusted_from_an_unsigned_plan(
    planned: Planner, store: Store
) -> None:
    """Without --allow-unchecked, an unsigned plan whose checks claim "passed" (and
    which nobody checked again) is refused: its evidence is not trusted."""
    document = planned(yaml_of(("a.example", "ssl", "ssl")))

    def claim_passed(data: dict[str, Any]) -> None:
        data["checks"] = {"status": "passed", "detail": "", "checked_at": None, "endpoints": []}

    with pytest.raises(GateBlocked) as refused:
        applied(forged(document, claim_passed), store, lifted=())
    assert blocked_gates(refused) == {
        "checks": "live checks: the changed domains were not checked (the plan's own results "
        f"are not trusted: {PLAN_KEY_ENV} is not set, so the plan's signature cannot be "
        "verified)"
    }


def test_a_signed_plan_verifies_and_a_resealed_edit_of_it_does_not(
    tmp_path: Path, planned: Planner, store: Store
) -> None:
    document = planned(yaml_of(("a.example", "ssl", "ssl")), key=KEY)
    assert document.signature is not None and document.signature.key_id == KEY.key_id
    assert verify(document, KEY) is Trust.SIGNED
    assert verify(document, None) is Trust.NO_KEY
    assert planfile.read(saved(tmp_path, document), KEY) == document

    def claim_passed(data: dict[str, Any]) -> None:
        data["checks"]["status"] = "passed"

    edited = forged(document, claim_passed)
    with pytest.raises(SignatureMismatch, match="changed after it was signed"):
        verify(edited, KEY)
    with pytest.raises(InputError, match="plan refused: the plan's signature does not match"):
        planfile.read(saved(tmp_path, edited), KEY)
    with pytest.raises(SignatureMismatch):
        applied(edited, store, key=KEY)
    assert store.read().lineage is None


def test_a_plan_signed_with_another_key_is_refused(
    tmp_path: Path, planned: Planner, store: Store
) -> None:
    document = planned(yaml_of(("a.example", "ssl", "ssl")), key=OTHER_KEY)
    with pytest.raises(InputError) as refused:
        planfile.read(saved(tmp_path, document), KEY)
    message = str(refused.value)
    assert f"signed with another key (key id {OTHER_KEY.key_id}" in message
    assert f"{PLAN_KEY_ENV} here has key id {KEY.key_id}" in message
    with pytest.raises(SignatureMismatch):
        applied(document, store, key=KEY)
    with pytest.raises(SignatureMismatch):
        recheck(document, KEY, None, 3600)
    assert store.read().lineage is None


def test_an_unsigned_plan_without_checks_still_applies_with_allow_unchecked(
    planned: Planner, store: Store
) -> None:
    """Signing changes nothing for a plan made with --no-checks: its gate asks for
    --allow-unchecked, with or without a key."""
    document = planned(yaml_of(("a.example", "ssl", "ssl")))
    assert recheck(document, KEY, None, 3600) == Recheck(None, "")
    with pytest.raises(GateBlocked) as refused:
        applied(document, store, lifted=(), key=KEY)
    assert "(--no-checks)" in blocked_gates(refused)["checks"]
    assert applied(document, store, key=KEY).serial == 1


@pytest.mark.parametrize("signed", [False, True])
def test_a_one_byte_edit_is_refused(
    tmp_path: Path, planned: Planner, store: Store, signed: bool
) -> None:
    document = planned(yaml_of(("a.example", "ssl", "ssl")), key=KEY if signed else None)
    text = document.to_json()
    places = [text.index('"port": 993') + len('"port": 99')]
    if signed:
        places.append(text.index('"mac": "') + len('"mac": "'))
    for at in places:
        flipped = "4" if text[at] != "4" else "5"
        path = tmp_path / "edited.json"
        path.write_text(text[:at] + flipped + text[at + 1 :])
        for key in (None, KEY):
            with pytest.raises(InputError, match="plan checksum does not match its content"):
                planfile.read(path, key)


def test_plans_saved_before_signatures_keep_their_checksum(planned: Planner) -> None:
    document = planned(yaml_of(("a.example", "ssl", "ssl")))
    data = json.loads(document.to_json())
    assert data.pop("signature") is None
    assert PlanDocument.model_validate(data).compute_checksum() == document.checksum


def test_the_key_comes_from_the_environment_and_is_never_shown(planned: Planner) -> None:
    assert key_from_env({}) is None
    assert key_from_env({PLAN_KEY_ENV: ""}) is None  # an unset GitHub secret arrives empty
    with pytest.raises(PlanKeyError, match=r"too short \(31 bytes; at least 32"):
        key_from_env({PLAN_KEY_ENV: "s" * 31})
    secret = "correct-horse-battery-staple-0123456789"
    key = key_from_env({PLAN_KEY_ENV: secret})
    assert key is not None and secret not in repr(key) and secret not in str(key)
    document = planned(yaml_of(("a.example", "ssl", "ssl")), key=key)
    assert secret not in document.to_json()
    assert document.signature is not None and document.signature.key_id == key.key_id

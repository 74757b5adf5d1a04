"""``--domain`` and ``--exclude`` on plan and apply, like Terraform's -target and -exclude:
only the targeted changes are planned, checked, gated and applied; the rest are shown
as not planned; the targeting is recorded in the saved plan, and its apply changes
nothing outside it. In process, through the use cases, on a real SQLite store."""

from __future__ import annotations

import hashlib
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
from reconciler.app.options import CheckOptions
from reconciler.app.plan import Planned, PlanRequest, plan
from reconciler.app.targeting import Selection, TargetingChanged, TargetingError
from reconciler.desired.canonical_json import canonical_json
from reconciler.plan.status import EXIT_BLOCKED, EXIT_OK
from reconciler.render import plan_github, plan_markdown, plan_text
from tests.ten_domains_support import NAMES, Yes, domains_file, stored_hosts

LIFTED = frozenset({"checks"})
MOVED = ("d00.example", "d01.example", "d02.example", "d03.example")


@pytest.fixture
def state(tmp_path: Path) -> str:
    """A store holding the ten domains (serial 1)."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first = ApplyPathRequest(
        domains_file(tmp_path / "first.yaml"), "seed", state_url=url, lifted=LIFTED
    )
    assert apply_path(first, Yes()).applied is not None
    return url


@pytest.fixture
def moved(tmp_path: Path) -> Path:
    """The ten domains with the IMAP host of the first four moved."""
    return domains_file(tmp_path / "d.yaml", moved=4)


def planned(moved: Path, state: str, targeting: Selection, out: Path | None = None) -> Planned:
    request = PlanRequest(moved, state_url=state, lifted=LIFTED, targeting=targeting, out=out)
    return plan(request)


def test_only_the_targeted_changes_are_planned_and_the_rest_shown_as_not_planned(
    moved: Path, state: str
) -> None:
    result = planned(moved, state, Selection(domains=("D00.Example.",)))
    document = result.document
    assert [(c.action, c.domain) for c in document.changes] == [("update", "d00.example")]
    assert document.summary.update == 1
    targeting = document.decisions.targeting
    assert targeting is not None
    assert targeting.domains == ("d00.example",)
    assert targeting.not_planned == MOVED[1:]
    # Every other domain keeps its stored settings in the target the apply would write.
    hosts = {d.name: d.imap.host for d in document.target.domains}
    assert hosts["d00.example"] == "imap.new.d00.example"
    assert hosts["d01.example"] == "imap.d01.example"
    assert len(hosts) == len(NAMES)
    text = plan_text.render(document, colour=False)
    markdown = plan_markdown.render(document)
    github = plan_github.render(document)
    named = "not planned: 3 domains with changes (d01.example, d02.example, d03.example)"
    for shown in (text, markdown, github):
        assert "planned only: --domain d00.example" in shown
        assert named in shown
    assert "Plan: 0 to create, 1 to update, 0 to delete, 0 range changes, 3 not planned." in text
    assert "3 not planned" in markdown


def test_exclude_plans_everything_but_the_excluded_domains(moved: Path, state: str) -> None:
    document = planned(moved, state, Selection(exclude=("d01.example",))).document
    assert [c.domain for c in document.changes] == ["d00.example", "d02.example", "d03.example"]
    assert document.decisions.targeting is not None
    assert document.decisions.targeting.not_planned == ("d01.example",)


def test_names_are_normalised_like_the_loader_does_idna_included(
    tmp_path: Path, state: str
) -> None:
    path = tmp_path / "idn.yaml"
    path.write_text(
        "version: 1\ndomains:\n"
        "  bücher.example: {imap: {host: imap.b.example}, smtp: {host: smtp.b.example}}\n"
        "  other.example: {imap: {host: imap.o.example}, smtp: {host: smtp.o.example}}\n"
    )
    request = PlanRequest(
        path,
        state_url=state,
        lifted=frozenset({"checks", "mass-change"}),
        targeting=Selection(domains=("BÜCHER.example.",), exclude=("D09.EXAMPLE",)),
    )
    document = plan(request).document
    assert [(c.action, c.domain) for c in document.changes] == [("create", "xn--bcher-kva.example")]
    targeting = document.decisions.targeting
    assert targeting is not None
    assert (targeting.domains, targeting.exclude) == (("xn--bcher-kva.example",), ("d09.example",))
    # other.example is not created, and the ten stored domains are not deleted.
    assert "other.example" in targeting.not_planned and "d05.example" in targeting.not_planned


@pytest.mark.parametrize(
    ("selection", "said"),
    [
        (Selection(domains=("d00.exmaple",)), "--domain d00.exmaple: no such domain in the"),
        (Selection(exclude=("D00.EXAMPEL",)), "--exclude d00.exampel: no such domain in the"),
    ],
)
def test_a_name_neither_desired_nor_stored_is_a_usage_error_with_a_suggestion(
    tmp_path: Path, moved: Path, state: str, selection: Selection, said: str
) -> None:
    db = tmp_path / "state.db"
    before = db.read_bytes()
    out = tmp_path / "p.json"
    with pytest.raises(TargetingError) as refused:
        planned(moved, state, selection, out)
    text = str(refused.value)
    assert said in text
    assert "did you mean d00.example?" in text
    assert not out.exists() and db.read_bytes() == before


def test_a_name_far_from_every_domain_gets_no_suggestion(
    tmp_path: Path, moved: Path, state: str
) -> None:
    """Domain names share their suffixes; only a near spelling is suggested."""
    with pytest.raises(TargetingError) as refused:
        planned(moved, state, Selection(domains=("nothere.example",)), tmp_path / "p.json")
    assert "did you mean" not in str(refused.value)
    assert "mailctl show lists the stored domains" in str(refused.value)


def test_a_name_that_is_no_domain_name_is_a_usage_error(moved: Path, state: str) -> None:
    with pytest.raises(TargetingError, match=r"--domain '192.0.2.1': email domain .* is an IP"):
        planned(moved, state, Selection(domains=("192.0.2.1",)))


def test_the_gates_judge_the_targeted_part_only(moved: Path, state: str) -> None:
    # 4 of 10 stored domains moved is over the 30% limit; 1 of them is not.
    whole = planned(moved, state, Selection()).document
    assert whole.summary.update == 4
    assert planned(moved, state, Selection()).status() == EXIT_BLOCKED
    part = planned(moved, state, Selection(domains=("d00.example",)))
    assert part.status() == EXIT_OK
    verdict = {v.gate: v for v in part.document.gates}["mass-change"]
    assert verdict.passed and "1 of 10 stored domains" in verdict.message


def test_a_downgrade_outside_the_targeting_does_not_block(tmp_path: Path, state: str) -> None:
    path = domains_file(tmp_path / "down.yaml", moved=1)
    text = path.read_text().replace(
        "d05.example:\n    imap: {host: imap.d05.example}",
        "d05.example:\n    imap: {host: imap.d05.example, security: starttls}",
    )
    path.write_text(text)
    whole = plan(PlanRequest(path, state_url=state, lifted=LIFTED))
    assert whole.status() == EXIT_BLOCKED
    part = plan(
        PlanRequest(
            path, state_url=state, lifted=LIFTED, targeting=Selection(exclude=("d05.example",))
        )
    )
    assert part.status() == EXIT_OK
    assert {v.gate: v for v in part.document.gates}["downgrade"].message == "no security downgrade"


def test_the_live_checks_run_for_the_targeted_changes_only(moved: Path, state: str) -> None:
    # Every host is pinned to loopback, where nothing answers on the mail ports of this
    # test (the checks fail at once); what counts is which endpoints were checked.
    hosts = [f"{p}.{n}" for n in NAMES for p in ("imap", "imap.new", "smtp")]
    options = CheckOptions(
        allow_private=True, deadline=10, pinned={h: ["127.0.0.1"] for h in hosts}
    )
    request = PlanRequest(
        moved, state_url=state, checks=options, targeting=Selection(domains=("d02.example",))
    )
    checked = plan(request).document.checks.endpoints
    assert checked
    assert {name for e in checked for name in e.domains} == {"d02.example"}


def test_a_saved_targeted_plan_applies_its_changes_and_nothing_else(
    tmp_path: Path, moved: Path, state: str
) -> None:
    out = tmp_path / "p.json"
    planned(moved, state, Selection(domains=("d00.example", "d03.example")), out)
    applied = apply_plan(ApplyPlanRequest(out, "t", state_url=state, lifted=LIFTED))
    assert applied.serial == 2
    hosts = stored_hosts(state)
    assert hosts["d00.example"] == "imap.new.d00.example"
    assert hosts["d03.example"] == "imap.new.d03.example"
    assert hosts["d01.example"] == "imap.d01.example"  # not planned: left as it was
    assert hosts["d02.example"] == "imap.d02.example"
    assert len(hosts) == len(NAMES)
    # The rest is still there to plan.
    assert [c.domain for c in planned(moved, state, Selection()).document.changes] == [
        "d01.example",
        "d02.example",
    ]


def test_apply_path_plans_and_applies_the_targeted_part(moved: Path, state: str) -> None:
    asked = ApplyPathRequest(
        moved, "t", state_url=state, lifted=LIFTED, targeting=Selection(exclude=MOVED[1:])
    )
    result = apply_path(asked, Yes())
    assert result.applied is not None and result.applied.serial == 2
    assert result.planned.document.decisions.targeting is not None
    hosts = stored_hosts(state)
    assert hosts["d00.example"] == "imap.new.d00.example"
    assert [hosts[n] for n in MOVED[1:]] == [f"imap.{n}" for n in MOVED[1:]]


@pytest.mark.parametrize(
    ("planned_for", "applied_with"),
    [
        (Selection(domains=("d00.example",)), Selection(domains=("d01.example",))),
        (Selection(domains=("d00.example",)), Selection(exclude=("d01.example",))),
        (Selection(), Selection(domains=("d00.example",))),
    ],
)
def test_apply_plan_with_other_targeting_is_refused_with_plan_again(
    tmp_path: Path, moved: Path, state: str, planned_for: Selection, applied_with: Selection
) -> None:
    out = tmp_path / "p.json"
    planned(moved, state, planned_for, out)
    db = tmp_path / "state.db"
    before = db.read_bytes()
    request = ApplyPlanRequest(out, "t", state_url=state, lifted=LIFTED, targeting=applied_with)
    with pytest.raises(
        TargetingChanged, match=r"make the plan again with these --domain/--exclude"
    ):
        apply_plan(request)
    assert db.read_bytes() == before


def test_apply_plan_may_repeat_its_targeting_in_any_spelling(
    tmp_path: Path, moved: Path, state: str
) -> None:
    out = tmp_path / "p.json"
    planned(moved, state, Selection(domains=("d00.example",)), out)
    request = ApplyPlanRequest(
        out, "t", state_url=state, lifted=LIFTED, targeting=Selection(domains=("D00.EXAMPLE.",))
    )
    assert apply_plan(request).serial == 2


def test_a_targeted_plan_is_stale_once_a_domain_outside_it_changed(
    tmp_path: Path, moved: Path, state: str
) -> None:
    out = tmp_path / "p.json"
    planned(moved, state, Selection(domains=("d00.example",)), out)
    # Someone applies a change to a domain the plan leaves alone.
    other = domains_file(tmp_path / "other.yaml")
    other.write_text(other.read_text().replace("imap.d07.example", "imap.x.d07.example"))
    meanwhile = ApplyPathRequest(other, "other", state_url=state, lifted=LIFTED)
    assert apply_path(meanwhile, Yes()).applied is not None
    after = stored_hosts(state)
    with pytest.raises(GateBlocked, match="stale"):
        apply_plan(ApplyPlanRequest(out, "t", state_url=state, lifted=LIFTED))
    assert stored_hosts(state) == after
    assert after["d07.example"] == "imap.x.d07.example"


def test_a_plan_edited_to_change_a_domain_outside_its_targeting_is_refused(
    tmp_path: Path, moved: Path, state: str
) -> None:
    # An unsigned plan can be edited and sealed again: the whole plan's target and
    # changes under the targeted plan's decisions. Its recomputation matches the edited
    # changes, but they reach outside the recorded targeting.
    targeted = planned(moved, state, Selection(domains=("d00.example",))).document
    whole = plan(PlanRequest(moved, state_url=state, lifted=LIFTED)).document
    forged = whole.model_copy(update={"decisions": targeted.decisions}).sealed()
    out = tmp_path / "forged.json"
    planfile.write(forged, out)
    before = stored_hosts(state)
    request = ApplyPlanRequest(out, "t", state_url=state, lifted=LIFTED)
    with pytest.raises(GateBlocked) as refused:
        apply_plan(request)
    assert "d01.example, d02.example, d03.example, outside its targeting" in str(refused.value)
    assert stored_hosts(state) == before


def test_connection_ranges_are_planned_with_exclude_and_kept_as_stored_with_domain(
    moved: Path, state: str
) -> None:
    moved.write_text(
        moved.read_text().replace(
            "domains:", "connection_ips:\n  ranges: [192.0.2.0/28]\ndomains:", 1
        )
    )
    excluded = planned(moved, state, Selection(exclude=("d01.example",))).document
    assert excluded.ranges.added == ("192.0.2.0/28",)
    only = planned(moved, state, Selection(domains=("d00.example",))).document
    assert not only.ranges.added and only.target.connection_ranges == ()
    targeting = only.decisions.targeting
    assert targeting is not None and targeting.ranges_not_planned
    assert "not planned: the connection range changes" in plan_text.render(only, colour=False)


def test_a_targeted_plan_without_changes_says_only_its_part_matches(
    moved: Path, state: str
) -> None:
    document = planned(moved, state, Selection(domains=("d09.example",))).document
    assert not document.has_changes()
    text = plan_text.render(document, colour=False)
    assert "No changes. The targeted part of the store matches the desired state" in text
    assert "not planned: 4 domains with changes" in text


def test_an_untargeted_plan_is_saved_and_sealed_as_before_targeting_existed(
    tmp_path: Path, moved: Path, state: str
) -> None:
    # A plan without targeting has no targeting key in its file or in the bytes its
    # checksum covers, so plans saved by the previous version keep verifying.
    out = tmp_path / "p.json"
    document = planned(moved, state, Selection(), out).document
    saved = json.loads(out.read_text())
    assert saved["decisions"]["lifted"] == ["checks"]
    assert "targeting" not in saved["decisions"]
    without = {k: v for k, v in saved.items() if k not in ("checksum", "signature")}
    digest = "sha256:" + hashlib.sha256(canonical_json(without)).hexdigest()
    assert document.checksum == digest == saved["checksum"]
    targeted = tmp_path / "t.json"
    planned(moved, state, Selection(domains=("d00.example",)), targeted)
    assert json.loads(targeted.read_text())["decisions"]["targeting"]["domains"] == ["d00.example"]

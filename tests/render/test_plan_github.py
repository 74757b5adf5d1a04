"""GitHub workflow commands: exact lines, levels, and escaping of data and properties."""

from __future__ import annotations

import pytest

from reconciler.desired.model import Desired
from reconciler.desired.state import StoredState
from reconciler.errors import Location
from reconciler.plan.document import GateVerdict
from reconciler.render import plan_github
from tests.render import evidence, golden, plans


def test_small_plan_exact_lines() -> None:
    plan = plans.small()
    plan = plan.model_copy(update={"gates": tuple(v for v in plan.gates if v.gate != "checks")})
    assert plan_github.render(plan).splitlines() == [
        "::error title=mailctl gate stale::saved plan is stale: the store's serial 6 is not "
        "the plan's 5; run mailctl plan again",
        "::notice title=mailctl%3A delete old.example::domain deleted",
        "::notice file=domains.yaml,line=9,col=3,title=mailctl%3A update example.com"
        "::imap.port 993 -> 995; 3 inboxes inherit this change",
    ]


@pytest.mark.parametrize("name", ["full", "shared"])
def test_matches_golden(name: str) -> None:
    golden.check(f"{name}.github", plan_github.render(getattr(plans, name)()))


def test_a_failed_check_is_an_error_on_each_affected_domain() -> None:
    lines = plan_github.render(plans.shared()).splitlines()
    errors = [line for line in lines if line.startswith("::error file=")]
    assert errors[:2] == [
        f"::error file=domains.yaml,line={line},col=3,title=mailctl check failed%3A smtp "
        f"mail.example.net%3A587::live check failed for {name}: smtp mail.example.net:587 "
        "starttls failed at starttls: server does not advertise STARTTLS; refusing to continue "
        "in plaintext (use security: ssl if the server has an implicit TLS port)"
        for name, line in (("alpha.example", 4), ("beta.example", 9))
    ]
    assert (
        "::warning file=domains.yaml,line=14,col=3,title=mailctl check warning%3A smtp "
        "mail.gamma.example%3A25::live check warning for gamma.example: smtp "
        f"mail.gamma.example:25 none: {evidence.PLAINTEXT}"
    ) in lines


def test_a_check_of_domains_without_a_place_is_one_annotation_naming_them() -> None:
    plan = plans.shared()
    plan = plan.model_copy(
        update={"changes": tuple(c.model_copy(update={"source": None}) for c in plan.changes)}
    )
    lines = plan_github.render(plan).splitlines()
    assert (
        "::error title=mailctl check failed%3A smtp mail.example.net%3A587::live check failed: "
        "smtp mail.example.net:587 starttls failed at starttls: server does not advertise "
        "STARTTLS; refusing to continue in plaintext (use security: ssl if the server has an "
        "implicit TLS port) (domains: alpha.example, beta.example)"
    ) in lines


def test_check_annotations_are_capped_and_the_rest_counted() -> None:
    plan = plans.failing(30)
    lines = plan_github.render(plan).splitlines()
    gates = [line for line in lines if line.startswith("::error title=mailctl gate")]
    errors = [line for line in lines if line.startswith("::error title=mailctl check")]
    warnings = [line for line in lines if line.startswith("::warning title=mailctl check")]
    assert len(gates) == 2  # checks and mass-change
    assert len(gates) + len(errors) == plan_github.ANNOTATIONS
    assert len(warnings) == plan_github.ANNOTATIONS
    more = [line for line in lines if line.startswith("::notice title=mailctl checks::")]
    assert more == [
        "::notice title=mailctl checks::22 more check errors and 20 more check warnings not "
        "annotated (GitHub shows 10 errors and 10 warnings per step); the plan lists every check"
    ]
    # Gates and checks come before the notices of the 30 changes, so GitHub shows them.
    assert lines.index(more[0]) == len(gates) + len(errors) + len(warnings)
    assert len(lines) == lines.index(more[0]) + 1 + 30


def test_no_notice_when_every_check_annotation_fits() -> None:
    assert "::notice title=mailctl checks" not in plan_github.render(plans.failing(3))


def test_no_changes_annotates_nothing() -> None:
    assert plan_github.render(plans.no_changes()) == ""


def test_properties_escape_percent_newlines_colon_and_comma() -> None:
    name = "a,b:c%d.example"
    odd = plans.domain("x.example").model_copy(update={"name": name})
    plan = plans.plan(
        Desired(domains={name: odd}),
        StoredState(lineage=plans.LINEAGE),
        places={name: Location("conf,d/x:y%z\r\n.yaml", 4, 3)},
    )
    lines = plan_github.render(plan).splitlines()
    assert lines[-1] == (
        "::notice file=conf%2Cd/x%3Ay%25z%0D%0A.yaml,line=4,col=3,"
        "title=mailctl%3A create a%2Cb%3Ac%25d.example"
        "::imap: imap.x.example:993 ssl, smtp: smtp.x.example:587 starttls"
    )


def test_messages_escape_percent_and_newlines_only() -> None:
    verdict = GateVerdict(
        gate="downgrade", passed=False, message="50% a,b\r\nc: d", override="--allow-downgrade"
    )
    plan = plans.no_changes().model_copy(update={"gates": (verdict,)})
    assert plan_github.render(plan) == (
        "::error title=mailctl gate downgrade::50%25 a,b%0D%0Ac: d (override: --allow-downgrade)"
    )

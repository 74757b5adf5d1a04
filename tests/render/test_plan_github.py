"""GitHub workflow commands: exact lines, levels, and escaping of data and properties."""

from __future__ import annotations

from reconciler.errors import Location
from reconciler.model import Desired
from reconciler.plan.document import GateVerdict
from reconciler.render import plan_github
from reconciler.state import StoredState
from tests.render import golden, plans


def test_small_plan_exact_lines() -> None:
    assert plan_github.render(plans.small()).splitlines() == [
        "::notice title=mailctl%3A delete old.example::domain deleted",
        "::notice file=domains.yaml,line=9,col=3,title=mailctl%3A update example.com"
        "::imap.port 993 -> 995; 3 inboxes inherit this change",
        "::error title=mailctl gate stale::saved plan is stale: the store's serial 6 is not "
        "the plan's 5; run mailctl plan again",
    ]


def test_full_plan_matches_golden() -> None:
    golden.check("full.github", plan_github.render(plans.full()))


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
    line = plan_github.render(plan)
    assert line == (
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

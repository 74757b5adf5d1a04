"""The text renderer: golden output, colour on and off, no clock, no terminal escapes."""

from __future__ import annotations

from collections.abc import Callable

import click
import pytest

from reconciler.model import Desired
from reconciler.plan.document import PlanDocument, Source
from reconciler.render import plan_text
from reconciler.state import StoredState
from tests.render import golden, plans

SAMPLES: dict[str, Callable[[], PlanDocument]] = {
    "full": plans.full,
    "small": plans.small,
    "no_changes": plans.no_changes,
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_matches_golden(name: str) -> None:
    golden.check(f"{name}.txt", plan_text.render(SAMPLES[name](), colour=False))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_no_ansi_without_colour_and_no_timestamp(name: str) -> None:
    plan = SAMPLES[name]()
    rendered = plan_text.render(plan, colour=False)
    assert "\x1b" not in rendered
    assert plan.created_at[:10] not in rendered


def test_colour_marks_each_action_and_the_blocked_gate() -> None:
    plan = plans.full()
    rendered = plan_text.render(plan, colour=True)
    assert click.style("- delete old.example", fg="red", bold=True) in rendered
    assert click.style("~ update example.com (domains.yaml:14:3)", fg="yellow", bold=True) in (
        rendered
    )
    assert click.style("+ create new.example (domains.yaml:27:3)", fg="green", bold=True) in (
        rendered
    )
    assert click.style("    + 203.0.113.0/24", fg="green") in rendered
    blocked = plan_text.blocked_text(plan.gates[1])
    assert click.style(f"    {blocked}", fg="red", bold=True) in rendered
    assert click.unstyle(rendered) == plan_text.render(plan, colour=False)


def test_a_stored_control_character_cannot_reach_the_terminal() -> None:
    evil = plans.domain("x.example").model_copy(update={"name": "evil\x1b[2J\n.example"})
    plan = plans.plan(Desired(domains={evil.name: evil}), StoredState(lineage=plans.LINEAGE))
    rendered = plan_text.render(plan, colour=False)
    assert "\x1b" not in rendered
    assert "+ create evil\\x1b[2J\\x0a.example" in rendered.splitlines()


def test_rollback_without_changes_names_the_revision() -> None:
    rollback = Source(kind="rollback", rollback_to=2, checksum="")
    plan = plans.no_changes().model_copy(update={"source": rollback})
    lines = plan_text.render(plan, colour=False).splitlines()
    assert lines[0] == "Rollback to serial 2, planned against store serial 3."
    assert lines[-1] == "No changes. The store already matches serial 2."


def test_helpers_shorten_the_pin_and_bracket_ipv6() -> None:
    assert plan_text.short_pin(plans.PIN) == "AB:CD:…:EF"
    ipv6 = plans.domain("x.example").imap.model_copy(update={"host": "2001:db8::1"})
    assert plan_text.endpoint(ipv6) == "[2001:db8::1]:993 ssl"

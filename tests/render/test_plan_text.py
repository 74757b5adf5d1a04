"""The text renderer: golden output, colour on and off, no clock, no terminal escapes."""

from __future__ import annotations

from collections.abc import Callable

import click
import pytest

from reconciler.desired.model import Desired
from reconciler.desired.state import StoredState
from reconciler.plan.document import Checks, PlanDocument, Source
from reconciler.render import plan_text, wording
from tests.render import evidence, golden, plans

SAMPLES: dict[str, Callable[[], PlanDocument]] = {
    "full": plans.full,
    "small": plans.small,
    "no_changes": plans.no_changes,
    "shared": plans.shared,
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
    downgrade = next(v for v in plan.gates if v.gate == "downgrade")
    blocked = wording.blocked_text(downgrade)
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
    assert wording.short_pin(plans.PIN) == "AB:CD:…:EF"
    ipv6 = plans.domain("x.example").imap.model_copy(update={"host": "2001:db8::1"})
    assert wording.endpoint(ipv6) == "[2001:db8::1]:993 ssl"


def test_checks_section_marks_each_endpoint_and_each_affected_change() -> None:
    lines = plan_text.render(plans.shared(), colour=False).splitlines()
    start = lines.index("Checks: 4 endpoints, 2 passed, 1 failed, 1 refused")
    assert lines[start + 1 : start + 6] == [
        "    ✓ imap mail.example.net:993 ssl — TLSv1.3, certificate CN=mail.example.net valid "
        "until 2027-04-30, 2 domains",
        "    ✗ smtp mail.example.net:587 starttls — failed at starttls: server does not "
        "advertise STARTTLS; refusing to continue in plaintext (use security: ssl if the "
        "server has an implicit TLS port)",
        "    ✗ imap mail.gamma.example:993 ssl — refused at guard: refused to connect: every "
        "address is non-public: 10.0.0.5",
        "    ✓ smtp mail.gamma.example:25 none — plaintext (security none), 1 domain",
        f"        ! {evidence.PLAINTEXT}",
    ]
    alpha = lines.index("+ create alpha.example (domains.yaml:4:3)")
    assert lines[alpha + 3] == "    ✗ live check failed: smtp mail.example.net:587"
    assert lines.count("    ✗ live check failed: smtp mail.example.net:587") == 2


def test_checks_in_colour() -> None:
    rendered = plan_text.render(plans.full(), colour=True)
    assert click.style("Checks: 6 endpoints, 4 passed, 2 failed", fg="red") in rendered
    assert click.style("    ✗ live check failed: smtp smtp.gone.example:587", fg="red") in (
        rendered
    )
    warning = "        ! certificate expires in 12 days, on 2026-12-08"
    assert click.style(warning, fg="yellow") in rendered
    assert click.unstyle(rendered) == plan_text.render(plans.full(), colour=False)


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        (Checks(status="skipped", detail="--no-checks"), "Checks: skipped (--no-checks)"),
        (Checks(status="skipped"), "Checks: skipped"),
        (Checks(status="not_run", detail="no created or changed domain to check"), None),
    ],
)
def test_checks_status_without_endpoints(checks: Checks, expected: str | None) -> None:
    plan = plans.small().model_copy(update={"checks": checks})
    lines = plan_text.render(plan, colour=False).splitlines()
    found = [line for line in lines if line.startswith("Checks")]
    assert found == ([expected] if expected else [])


def test_server_provided_text_cannot_reach_the_terminal() -> None:
    plan = plans.full()
    first = plan.checks.endpoints[0]
    cert = first.result.certificate
    assert cert is not None
    evil = first.result.model_copy(
        update={
            "certificate": cert.model_copy(update={"subject": "CN=x\x1b[31m\nfake"}),
            "warnings": ("imap.example.com:143: \x9b2J",),
        }
    )
    endpoints = (first.model_copy(update={"result": evil}), *plan.checks.endpoints[1:])
    plan = plan.model_copy(
        update={"checks": plan.checks.model_copy(update={"endpoints": endpoints})}
    )
    rendered = plan_text.render(plan, colour=False)
    assert "\x1b" not in rendered and "\x9b" not in rendered
    assert "certificate CN=x\\x1b[31m\\x0afake valid until" in rendered
    assert "! \\x9b2J" in rendered

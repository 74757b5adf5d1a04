"""Servers that attack the checker (tests/checks/hostile.py): memory floods, STARTTLS
response injection, and server text built to leak secrets or forge output.

A hostile server must make its check fail at its step, with a clear reason, before the
step's timeout and in a few MB; its text reaches no output unscrubbed or unbounded.
"""

from __future__ import annotations

import asyncio
import re
import tracemalloc
from dataclasses import dataclass
from typing import Any

import pytest

from reconciler.checks.runner import run_checks
from reconciler.plan.document import CheckedEndpoint
from reconciler.plan.evidence import Certificate, CheckResult, CheckTarget
from reconciler.render import plan_github, plan_markdown, plan_text
from tests.checks import hostile, servers
from tests.checks.conftest import Dovecots
from tests.checks.harness import CREDENTIALS, RESOLVER, imap, run_check, smtp
from tests.checks.pki import Pki
from tests.render import plans
from tests.render.evidence import with_checks

STEP = 2.0  # seconds: every step of these checks
DEADLINE = 8.0
PEAK = 4 * 1024 * 1024  # bytes a check of one hostile server may hold at its peak
PASSWORD = "Sesame-0pen-Secret"
ENV = {"MAIL_LOGIN_USER": "alice", "MAIL_LOGIN_PASSWORD": PASSWORD}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Measured:
    result: CheckResult
    peak: int  # bytes, tracemalloc


def measured(target: CheckTarget, **options: Any) -> Measured:
    """One check with the test's short timeouts, and the peak memory it allocated."""
    options.setdefault("step_timeout", STEP)
    options.setdefault("deadline", DEADLINE)
    tracemalloc.start()
    try:
        result = run_check(target, **options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Measured(result, peak)


def step_ms(result: CheckResult) -> float:
    """How long the failed step ran, from the check's own timings."""
    return next(t.milliseconds for t in result.timings if t.step == result.failed_step)


def assert_failed_at(found: Measured, step: str, reason: str) -> None:
    result = found.result
    assert result.verdict == "failed", result.message
    assert result.failed_step == step, result.message
    assert reason in result.message, result.message
    assert "timed out" not in result.message
    assert step_ms(result) < STEP * 1000
    assert found.peak < PEAK, f"peak {found.peak / 1e6:.1f} MB"


# --- memory -----------------------------------------------------------------------------


@pytest.mark.parametrize("security", ["none", "ssl"])
def test_a_greeting_announcing_a_2_gb_literal_is_not_read(security: str, pki: Pki) -> None:
    tls = servers.server_context(pki.good) if security == "ssl" else None
    with hostile.hostile_server(hostile.imap_huge_literal, implicit_tls=tls) as server:
        found = measured(imap(server.port, security), ca_file=pki.ca_file)
    assert_failed_at(found, "greeting", "literal of 2,000,000,000 bytes")


def test_a_line_without_end_fails_at_its_step() -> None:
    with hostile.hostile_server(hostile.imap_endless_line) as server:
        found = measured(imap(server.port, "none"))
    assert_failed_at(found, "greeting", "line longer than")


def test_an_smtp_line_without_end_fails_at_its_step() -> None:
    with hostile.hostile_server(hostile.smtp_endless_line) as server:
        found = measured(smtp(server.port, "none"))
    assert_failed_at(found, "greeting", "line longer than")


@pytest.mark.parametrize("security", ["none", "ssl"])
def test_a_flood_of_untagged_imap_lines_fails_at_capability(security: str, pki: Pki) -> None:
    tls = servers.server_context(pki.good) if security == "ssl" else None
    with hostile.hostile_server(hostile.imap_untagged_flood, implicit_tls=tls) as server:
        found = measured(imap(server.port, security), ca_file=pki.ca_file)
    assert_failed_at(found, "capability", "lines in one response")


def test_a_response_of_many_small_literals_is_bounded_by_the_step_budget() -> None:
    with hostile.hostile_server(hostile.imap_many_literals) as server:
        found = measured(imap(server.port, "none"))
    assert_failed_at(found, "capability", "in one step")


def test_a_greeting_of_endless_empty_literals_fails_at_once() -> None:
    with hostile.hostile_server(hostile.imap_empty_literals) as server:
        found = measured(imap(server.port, "none"))
    assert_failed_at(found, "greeting", "more than 100 literals in one response")


def test_a_flood_of_250_continuation_lines_fails_at_capability() -> None:
    with hostile.hostile_server(hostile.smtp_ehlo_flood) as server:
        found = measured(smtp(server.port, "none"))
    assert_failed_at(found, "capability", "lines in one response")


def test_a_flood_of_220_banner_lines_fails_at_greeting() -> None:
    with hostile.hostile_server(hostile.smtp_banner_flood) as server:
        found = measured(smtp(server.port, "starttls"))
    assert_failed_at(found, "greeting", "lines in one response")


def test_other_endpoints_keep_their_results(dovecots: Dovecots, pki: Pki) -> None:
    good = imap(dovecots.good.tls_port)
    with (
        hostile.hostile_server(hostile.imap_huge_literal) as literal,
        hostile.hostile_server(hostile.smtp_ehlo_flood, host="127.0.0.2") as flood,
    ):
        bad = [imap(literal.port, "none"), smtp(flood.port, "none", host="127.0.0.2")]
        tracemalloc.start()
        try:
            results = asyncio.run(
                run_checks(
                    [bad[0], good, bad[1]],
                    allow_private=True,
                    resolver=RESOLVER,
                    env={},
                    ca_file=pki.ca_file,
                    step_timeout=STEP,
                    deadline=DEADLINE,
                )
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert [r.target for r in results] == [bad[0], good, bad[1]]
    assert [r.verdict for r in results] == ["failed", "passed", "failed"]
    assert [r.failed_step for r in results] == ["greeting", None, "capability"]
    assert peak < 2 * PEAK


# --- STARTTLS response injection ----------------------------------------------------------


@pytest.mark.parametrize("protocol", ["imap", "smtp"])
def test_plaintext_after_the_starttls_go_ahead_fails_the_check(protocol: str, pki: Pki) -> None:
    context = servers.server_context(pki.good)
    script = (
        hostile.imap_starttls_injection if protocol == "imap" else hostile.smtp_starttls_injection
    )(context)
    make = imap if protocol == "imap" else smtp
    with hostile.hostile_server(script) as server:
        result = run_check(
            make(server.port, "starttls", **CREDENTIALS), pki, env=ENV, step_timeout=STEP
        )
    assert result.verdict == "failed", result.message
    assert result.failed_step == "tls"
    assert result.logged_in is not True
    assert "data before TLS: possible STARTTLS injection" in result.message
    assert result.tls_version is None  # the handshake was never started


def test_plaintext_during_the_handshake_fails_the_check(pki: Pki) -> None:
    script = hostile.smtp_starttls_injection(servers.server_context(pki.good), delay=0.3)
    with hostile.hostile_server(script) as server:
        result = run_check(
            smtp(server.port, "starttls", **CREDENTIALS), pki, env=ENV, step_timeout=STEP
        )
    assert result.verdict == "failed", result.message
    assert result.failed_step == "tls"
    assert result.logged_in is not True
    assert "data before TLS: possible STARTTLS injection" in result.message


# --- server text in our output ------------------------------------------------------------


def secret_forms() -> list[str]:
    token = hostile.plain_token("alice", PASSWORD)
    forms = [PASSWORD, token]
    return [*forms, *(f.upper() for f in forms), *(f.lower() for f in forms), PASSWORD.swapcase()]


def rendered(result: CheckResult) -> dict[str, str]:
    """Every output a check result reaches: JSON evidence, plan text, Markdown, GitHub."""
    made = plans.many(1)
    plan = with_checks(made, (CheckedEndpoint(domains=("d00000.example",), result=result),))
    return {
        "json": plan.model_dump_json(),
        "repr": repr(result),
        "text": plan_text.render(plan, colour=False),
        "markdown": plan_markdown.render(plan),
        "github": plan_github.render(plan),
    }


@pytest.mark.parametrize("protocol", ["imap", "smtp"])
def test_a_server_echoing_the_password_never_gets_it_into_output(protocol: str, pki: Pki) -> None:
    context = servers.server_context(pki.good)
    script = (hostile.imap_echo if protocol == "imap" else hostile.smtp_echo)(PASSWORD)
    make = imap if protocol == "imap" else smtp
    with hostile.hostile_server(script, implicit_tls=context) as server:
        result = run_check(make(server.port, "ssl", **CREDENTIALS), pki, env=ENV)
    assert result.verdict == "failed"
    assert result.failed_step == "login"
    assert result.logged_in is False
    assert "***" in result.message
    for name, output in rendered(result).items():
        for form in secret_forms():
            assert form not in output, f"{form!r} in {name}"


@pytest.mark.parametrize(
    ("protocol", "security", "step"),
    [("imap", "none", "capability"), ("smtp", "starttls", "starttls")],
)
def test_control_sequences_and_huge_tokens_are_neutralised(
    protocol: str, security: str, step: str
) -> None:
    script = hostile.imap_controls if protocol == "imap" else hostile.smtp_controls
    make = imap if protocol == "imap" else smtp
    with hostile.hostile_server(script) as server:
        result = run_check(make(server.port, security), step_timeout=STEP)
    assert result.verdict == "failed"
    assert result.failed_step == step
    assert "owned" in result.message or "owned" in " ".join(result.capabilities)
    strings = [result.message, *result.warnings, *result.capabilities, *result.auth_mechanisms]
    for text in strings:
        assert not _CONTROL.search(text), repr(text[:200])
        assert len(text) <= 1000
    assert len(result.model_dump_json()) < 8192
    outputs = rendered(result)
    for name, output in outputs.items():
        assert "\x1b" not in output and "\x07" not in output, name
        assert len(output) < 16384, name
    for line in outputs["github"].splitlines():
        assert not line.startswith("::error file=forged"), line
    assert "\r" not in outputs["markdown"]


def test_server_text_in_messages_is_quoted() -> None:
    with hostile.hostile_server(hostile.smtp_controls) as server:
        result = run_check(smtp(server.port, "starttls"), step_timeout=STEP)
    assert re.search(r'STARTTLS refused: 454 "[^"]*owned', result.message), result.message


# --- the evidence model as the last line of defence ---------------------------------------


def test_evidence_bounds_and_cleans_every_server_string() -> None:
    target = imap(993)
    forged = CheckResult(
        target=target,
        verdict="failed",
        failed_step="capability",
        message="imap.test.example:993: " + "\x1b]0;x\x07\r\n::error::" * 20000,
        warnings=tuple(f"w{i}\n::warning::" for i in range(10000)),
        capabilities=("\u202eevil", *(["C" * 70000] * 10000)),
        auth_mechanisms=("PLAIN\r\n",) * 1000,
        certificate=Certificate(
            subject="CN=\x1b[2J" + "x" * 70000,
            issuer="CN=ca\n::error::",
            sans=("a\x00b",) * 1000,
            not_after="2030-01-01T00:00:00Z",
            sha256="AB",
            trusted=False,
        ),
    )
    assert len(forged.model_dump_json()) < 64 * 1024
    assert forged.certificate is not None
    strings = [
        forged.message,
        *forged.warnings,
        *forged.capabilities,
        *forged.auth_mechanisms,
        forged.certificate.subject,
        forged.certificate.issuer,
        *forged.certificate.sans,
    ]
    for text in strings:
        assert not _CONTROL.search(text), repr(text[:80])
    # Validation is idempotent: a plan that was saved loads to the same evidence.
    assert CheckResult.model_validate_json(forged.model_dump_json()) == forged

"""SMTP checks against real aiosmtpd servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.checks import servers
from tests.checks.harness import CREDENTIALS, login_env, run_check, smtp
from tests.checks.pki import Pki


@pytest.fixture(scope="module")
def starttls_port(pki: Pki) -> Iterator[int]:
    with servers.smtp_server(starttls=pki.good) as port:
        yield port


@pytest.fixture(scope="module")
def implicit_port(pki: Pki) -> Iterator[int]:
    with servers.smtp_server(implicit=pki.good) as port:
        yield port


@pytest.fixture(scope="module")
def plain_port() -> Iterator[int]:
    with servers.smtp_server() as port:
        yield port


def test_starttls_passes_and_records_auth_after_tls(starttls_port: int, pki: Pki) -> None:
    result = run_check(smtp(starttls_port), pki)
    assert result.verdict == "passed", result.message
    assert result.message == f"smtp.test.example:{starttls_port}: ok"
    assert [t.step for t in result.timings] == [
        "resolve", "connect", "greeting", "capability", "starttls", "tls", "capability", "logout",
    ]  # fmt: skip
    assert result.auth_mechanisms == ("LOGIN", "PLAIN")
    assert result.certificate is not None
    assert result.certificate.trusted


def test_implicit_tls_passes(implicit_port: int, pki: Pki) -> None:
    result = run_check(smtp(implicit_port, "ssl"), pki)
    assert result.verdict == "passed", result.message
    assert result.tls_version is not None


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_auth_succeeds(starttls_port: int, implicit_port: int, pki: Pki, security: str) -> None:
    port = implicit_port if security == "ssl" else starttls_port
    result = run_check(smtp(port, security, **CREDENTIALS), pki, env=login_env("alice"))
    assert result.verdict == "passed", result.message
    assert result.logged_in is True


def test_auth_failure_is_a_failed_check(starttls_port: int, pki: Pki) -> None:
    env = {"MAIL_LOGIN_USER": "alice", "MAIL_LOGIN_PASSWORD": "wrong"}
    result = run_check(smtp(starttls_port, **CREDENTIALS), pki, env=env)
    assert result.verdict == "failed"
    assert result.failed_step == "login"
    assert result.logged_in is False
    assert result.message == (
        f"smtp.test.example:{starttls_port}: login as the user in $MAIL_LOGIN_USER failed: "
        '535 "5.7.8 Authentication credentials invalid"'
    )


def test_starttls_not_advertised_fails_without_fallback(plain_port: int) -> None:
    result = run_check(smtp(plain_port, **CREDENTIALS), env=login_env("alice"))
    assert result.verdict == "failed"
    assert result.failed_step == "starttls"
    assert result.message == (
        f"smtp.test.example:{plain_port}: server does not advertise STARTTLS; refusing to "
        "continue in plaintext (use security: ssl if the server has an implicit TLS port)"
    )
    assert result.logged_in is None


def test_security_none_without_auth_offered_fails_at_login(plain_port: int) -> None:
    result = run_check(smtp(plain_port, "none"))
    assert result.verdict == "failed"
    assert result.failed_step == "login"
    assert result.message.startswith(
        f"smtp.test.example:{plain_port}: server refuses login without TLS"
    )
    assert result.warnings[0].endswith("this check sent no credentials")


def test_implicit_tls_against_a_starttls_port_names_the_problem(starttls_port: int) -> None:
    result = run_check(smtp(starttls_port, "ssl"))
    assert result.verdict == "failed"
    assert result.failed_step == "tls"
    assert result.message.startswith(f"smtp.test.example:{starttls_port}: TLS handshake failed (")


def test_an_imap_check_of_an_smtp_port_says_it_is_not_imap(plain_port: int) -> None:
    from tests.checks.harness import imap

    result = run_check(imap(plain_port, "none", host="smtp.test.example"))
    assert result.failed_step == "greeting"
    assert result.message.startswith(
        f"smtp.test.example:{plain_port}: not an IMAP greeting (expected '* OK'): \"220 "
    )


def test_certificate_expiring_soon_is_a_warning(pki: Pki) -> None:
    with servers.smtp_server(implicit=pki.expiring) as port:
        result = run_check(smtp(port, "ssl"), pki)
    assert result.verdict == "passed", result.message
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith(
        f"smtp.test.example:{port}: certificate expires in 10 days, on "
    )

"""IMAP checks against real Dovecot instances on loopback."""

from __future__ import annotations

import pytest

from reconciler.checks.imap import imap_string
from tests.checks.conftest import Dovecots
from tests.checks.harness import CREDENTIALS, imap, login_env, run_check
from tests.checks.pki import Pki


def test_implicit_tls_with_a_ca_signed_certificate_passes(dovecots: Dovecots, pki: Pki) -> None:
    result = run_check(imap(dovecots.good.tls_port), pki)
    assert result.verdict == "passed", result.message
    assert result.message == f"imap.test.example:{dovecots.good.tls_port}: ok"
    assert result.failed_step is None
    assert result.certificate is not None
    assert result.certificate.trusted
    assert result.certificate.sha256 == pki.good.sha256
    assert result.certificate.sans == ("imap.test.example", "smtp.test.example")
    assert result.tls_version in ("TLSv1.2", "TLSv1.3")
    assert result.cipher
    assert "IMAP4rev1" in result.capabilities
    assert result.auth_mechanisms == ("PLAIN", "LOGIN")
    assert result.connected_address == "127.0.0.1"
    assert result.logged_in is None
    assert [t.step for t in result.timings] == [
        "resolve", "connect", "tls", "greeting", "capability", "logout",
    ]  # fmt: skip
    assert result.warnings == ()


def test_starttls_upgrades_and_asks_for_capabilities_again(dovecots: Dovecots, pki: Pki) -> None:
    result = run_check(imap(dovecots.good.plain_port, "starttls"), pki)
    assert result.verdict == "passed", result.message
    assert [t.step for t in result.timings] == [
        "resolve", "connect", "greeting", "capability", "starttls", "tls", "capability", "logout",
    ]  # fmt: skip
    # Capabilities are the ones after TLS: STARTTLS is gone, AUTH is offered.
    assert "STARTTLS" not in result.capabilities
    assert result.auth_mechanisms == ("PLAIN", "LOGIN")


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_login_succeeds(dovecots: Dovecots, pki: Pki, security: str) -> None:
    port = dovecots.good.tls_port if security == "ssl" else dovecots.good.plain_port
    result = run_check(imap(port, security, **CREDENTIALS), pki, env=login_env("alice"))
    assert result.verdict == "passed", result.message
    assert result.logged_in is True
    assert "login" in [t.step for t in result.timings]


def test_login_with_quotes_backslash_and_non_ascii_goes_as_a_literal(
    dovecots: Dovecots, pki: Pki
) -> None:
    result = run_check(imap(dovecots.good.tls_port, **CREDENTIALS), pki, env=login_env("bob"))
    assert result.verdict == "passed", result.message
    assert result.logged_in is True


def test_login_failure_is_a_failed_check(dovecots: Dovecots, pki: Pki) -> None:
    env = {"MAIL_LOGIN_USER": "alice", "MAIL_LOGIN_PASSWORD": "wrong"}
    result = run_check(imap(dovecots.good.tls_port, **CREDENTIALS), pki, env=env)
    assert result.verdict == "failed"
    assert result.failed_step == "login"
    assert result.logged_in is False
    assert result.message == (
        f"imap.test.example:{dovecots.good.tls_port}: login as the user in $MAIL_LOGIN_USER "
        'failed: NO "[AUTHENTICATIONFAILED] Authentication failed."'
    )


def test_credentials_named_but_unset_is_a_warning(dovecots: Dovecots, pki: Pki) -> None:
    result = run_check(imap(dovecots.good.tls_port, **CREDENTIALS), pki, env={})
    assert result.verdict == "passed"
    assert result.logged_in is None
    assert result.warnings == (
        f"imap.test.example:{dovecots.good.tls_port}: login not checked: set MAIL_LOGIN_USER and "
        "MAIL_LOGIN_PASSWORD in the environment to check it",
    )


def test_starttls_not_advertised_fails_without_plaintext_fallback(dovecots: Dovecots) -> None:
    result = run_check(
        imap(dovecots.no_tls.plain_port, "starttls", **CREDENTIALS), env=login_env("alice")
    )
    assert result.verdict == "failed"
    assert result.failed_step == "starttls"
    assert result.message == (
        f"imap.test.example:{dovecots.no_tls.plain_port}: server does not advertise STARTTLS; "
        "refusing to continue in plaintext (use security: ssl if the server has an implicit "
        "TLS port)"
    )
    assert result.logged_in is None
    assert "login" not in [t.step for t in result.timings]


def test_security_none_passes_loudly_and_never_sends_credentials(dovecots: Dovecots) -> None:
    port = dovecots.no_tls.plain_port
    result = run_check(imap(port, "none", **CREDENTIALS), env=login_env("alice"))
    assert result.verdict == "passed", result.message
    assert result.logged_in is None
    assert result.warnings == (
        f"imap.test.example:{port}: PLAINTEXT: security is none, so mail and passwords would "
        "cross the network unencrypted; this check sent no credentials",
        f"imap.test.example:{port}: login not checked: credentials are never sent without TLS",
    )
    assert "user=<alice>" not in dovecots.no_tls.log


def test_plaintext_login_refused_on_a_non_local_address(dovecots: Dovecots) -> None:
    # Dovecot trusts a client on its own address; at 127.0.0.2 it answers LOGINDISABLED.
    port = dovecots.good.plain_port
    result = run_check(
        imap(port, "none", "imap2.test.example", **CREDENTIALS), env=login_env("alice")
    )
    assert result.verdict == "failed"
    assert result.failed_step == "login"
    assert result.login_disabled is True
    assert result.logged_in is None
    assert result.message == (
        f"imap2.test.example:{port}: server refuses login without TLS (LOGINDISABLED or no AUTH "
        "offered), so inboxes cannot log in with security: none; no login was attempted; "
        "use security: starttls or ssl"
    )
    assert "login" not in [t.step for t in result.timings]


def test_starttls_on_the_refusing_address_then_logs_in(dovecots: Dovecots, pki: Pki) -> None:
    port = dovecots.good.plain_port
    target = imap(port, "starttls", "imap2.test.example", **CREDENTIALS)
    # The certificate is not for imap2.test.example: pin it to get past the name check.
    result = run_check(
        target.model_copy(
            update={"allow_non_secure_certificate": True, "certificate_sha256": pki.good.sha256}
        ),
        pki,
        env=login_env("alice"),
    )
    assert result.verdict == "passed", result.message
    assert result.login_disabled is False
    assert result.logged_in is True


def test_implicit_tls_port_checked_as_starttls_fails_clearly(dovecots: Dovecots, pki: Pki) -> None:
    result = run_check(imap(dovecots.good.tls_port, "starttls"), pki, step_timeout=1.0)
    assert result.verdict == "failed"
    assert result.failed_step == "greeting"
    assert result.message == (
        f"imap.test.example:{dovecots.good.tls_port}: timed out after 1 s while waiting for the "
        "greeting"
    )


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("alice", b'"alice"'),
        ("with space", b'"with space"'),
        ('say "hi"', (b'say "hi"',)),
        ("back\\slash", (b"back\\slash",)),
        ("pä", ("pä".encode(),)),
    ],
)
def test_imap_strings_are_quoted_or_literal(value: str, wire: bytes | tuple[bytes]) -> None:
    assert imap_string(value) == wire


@pytest.mark.parametrize("value", ["a\r\nb", "a\nb", "a\0b"])
def test_imap_strings_refuse_line_breaks_and_nul(value: str) -> None:
    with pytest.raises(ValueError, match="NUL, CR or LF"):
        imap_string(value)

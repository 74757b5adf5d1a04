"""Certificate verification, its messages, non-secure mode and pins (real Dovecot)."""

from __future__ import annotations

from tests.checks.conftest import Dovecots
from tests.checks.harness import imap, run_check
from tests.checks.pki import Pki

PIN_HINT = "; set allow_non_secure_certificate and pin certificate_sha256: "


def test_self_signed_fails_with_fingerprint_to_pin(dovecots: Dovecots, pki: Pki) -> None:
    port = dovecots.self_signed.tls_port
    result = run_check(imap(port), pki)
    assert result.verdict == "failed"
    assert result.failed_step == "certificate"
    assert result.message == (
        f"imap.test.example:{port}: certificate is self-signed{PIN_HINT}{pki.self_signed.sha256}"
    )
    assert result.certificate is not None
    assert result.certificate.self_signed
    assert not result.certificate.trusted
    assert result.capabilities == ()  # nothing was said over the unverified probe


def test_self_signed_passes_when_non_secure_is_allowed(dovecots: Dovecots, pki: Pki) -> None:
    port = dovecots.self_signed.tls_port
    result = run_check(imap(port, allow_non_secure_certificate=True), pki)
    assert result.verdict == "passed", result.message
    assert result.certificate is not None
    assert result.certificate.sha256 == pki.self_signed.sha256
    assert not result.certificate.trusted
    assert result.warnings == (
        f"imap.test.example:{port}: certificate is not verified and not pinned; "
        f"pin certificate_sha256: {pki.self_signed.sha256}",
    )


def test_pin_match_passes(dovecots: Dovecots, pki: Pki) -> None:
    pin = pki.self_signed.sha256.replace(":", "").lower()  # any spelling of the pin works
    target = imap(
        dovecots.self_signed.tls_port, allow_non_secure_certificate=True, certificate_sha256=pin
    )
    result = run_check(target, pki)
    assert result.verdict == "passed", result.message
    assert result.warnings == ()


def test_pin_mismatch_fails_and_shows_both(dovecots: Dovecots, pki: Pki) -> None:
    port = dovecots.self_signed.tls_port
    target = imap(port, allow_non_secure_certificate=True, certificate_sha256=pki.good.sha256)
    result = run_check(target, pki)
    assert result.verdict == "failed"
    assert result.failed_step == "certificate"
    assert result.message == (
        f"imap.test.example:{port}: certificate fingerprint {pki.self_signed.sha256} does not "
        f"match the pinned certificate_sha256 {pki.good.sha256}"
    )


def test_expired_certificate_fails(dovecots: Dovecots, pki: Pki) -> None:
    port = dovecots.expired.tls_port
    result = run_check(imap(port), pki)
    assert result.verdict == "failed"
    assert result.failed_step == "certificate"
    assert result.message == f"imap.test.example:{port}: certificate has expired on 2024-01-01"


def test_expired_certificate_is_a_warning_when_non_secure_is_allowed(
    dovecots: Dovecots, pki: Pki
) -> None:
    port = dovecots.expired.tls_port
    target = imap(port, allow_non_secure_certificate=True, certificate_sha256=pki.expired.sha256)
    result = run_check(target, pki)
    assert result.verdict == "passed", result.message
    assert result.warnings == (f"imap.test.example:{port}: certificate has expired on 2024-01-01",)


def test_wrong_hostname_fails(dovecots: Dovecots, pki: Pki) -> None:
    port = dovecots.wrong_host.tls_port
    result = run_check(imap(port), pki)
    assert result.verdict == "failed"
    assert result.failed_step == "certificate"
    assert result.message == (
        f"imap.test.example:{port}: certificate is for mail.other.example, not imap.test.example"
    )


def test_the_name_not_the_address_is_verified(dovecots: Dovecots, pki: Pki) -> None:
    # Same server, reached by the name its certificate carries: passes.
    result = run_check(imap(dovecots.wrong_host.tls_port, host="mail.other.example"), pki)
    assert result.verdict == "passed", result.message


def test_untrusted_ca_fails(dovecots: Dovecots, pki: Pki) -> None:
    port = dovecots.good.tls_port
    result = run_check(imap(port))  # system CAs only: the test CA is unknown
    assert result.verdict == "failed"
    assert result.failed_step == "certificate"
    assert result.message == (
        f"imap.test.example:{port}: certificate is not signed by a trusted CA{PIN_HINT}"
        f"{pki.good.sha256}"
    )


def test_trusted_certificate_with_non_secure_allowed_says_it_is_not_needed(
    dovecots: Dovecots, pki: Pki
) -> None:
    port = dovecots.good.tls_port
    result = run_check(imap(port, allow_non_secure_certificate=True), pki)
    assert result.verdict == "passed"
    assert result.certificate is not None
    assert result.certificate.trusted
    assert result.warnings == (
        f"imap.test.example:{port}: certificate is trusted; "
        "allow_non_secure_certificate is not needed",
    )


def test_starttls_with_self_signed_certificate_fails_at_certificate(
    dovecots: Dovecots, pki: Pki
) -> None:
    port = dovecots.self_signed.plain_port
    result = run_check(imap(port, "starttls"), pki)
    assert result.failed_step == "certificate"
    assert result.message == (
        f"imap.test.example:{port}: certificate is self-signed{PIN_HINT}{pki.self_signed.sha256}"
    )

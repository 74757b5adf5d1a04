"""``audit`` through its use case against real servers on loopback: a Dovecot for IMAP
and aiosmtpd for SMTP, swapped on the same port between two audits."""

from __future__ import annotations

import json

import pytest

from reconciler.app.audit import Audited, AuditRequest, audit
from reconciler.plan.audit_judge import Horizons
from reconciler.render import audit_report
from reconciler.store.base import StoreError
from reconciler.store.open import open_store
from tests.audit.conftest import loopback, mail_domain, seed, smtp_at
from tests.checks import servers
from tests.checks.conftest import Dovecots
from tests.checks.pki import Pki


def kinds(audited: Audited) -> dict[str, list[tuple[str, str, str]]]:
    return {
        d.domain: [(f.endpoint, f.severity, f.kind) for f in d.findings] for d in audited.domains
    }


def run(url: str, pki: Pki, **more: object) -> Audited:
    return audit(AuditRequest(state_url=url, checks=loopback(pki), **more))  # type: ignore[arg-type]


def test_a_healthy_domain_holds_and_its_evidence_is_recorded(
    sqlite_url: str, pki: Pki, dovecots: Dovecots
) -> None:
    port = servers.free_port()
    seed(sqlite_url, [mail_domain("example.com", dovecots.good.tls_port, port)])
    with smtp_at(port, pki.good):
        audited = run(sqlite_url, pki)
    assert kinds(audited) == {"example.com": []}
    assert audited.status == 0
    doc = json.loads(audit_report.as_json(audited))
    assert doc["format_version"] == 1 and doc["ok"] is True
    assert doc["summary"] == {"domains": 1, "endpoints": 2, "failing": 0, "warning": 0, "ok": 1}
    assert doc["store"]["serial"] == 1 and doc["audited_at"].endswith("Z")
    assert doc["domains"] == [
        {"domain": "example.com", "domain_unicode": "example.com", "verdict": "ok", "findings": []}
    ]
    store = open_store(sqlite_url)
    try:
        latest = store.latest_evidence()
    finally:
        store.close()
    assert sorted(latest) == [
        ("example.com", "imap", "imap.test.example", dovecots.good.tls_port),
        ("example.com", "smtp", "smtp.test.example", port),
    ]
    record = latest[("example.com", "imap", "imap.test.example", dovecots.good.tls_port)]
    assert (record.source, record.verdict, record.tls_version) == ("audit", "passed", "TLSv1.3")
    assert record.certificate_sha256 == pki.good.sha256


def test_a_certificate_expiring_within_the_horizons_warns_then_fails(
    sqlite_url: str, pki: Pki, dovecots: Dovecots
) -> None:
    port = servers.free_port()
    seed(sqlite_url, [mail_domain("example.com", dovecots.good.tls_port, port)])
    with smtp_at(port, pki.expiring):  # expires in 10 days
        warned = run(sqlite_url, pki, record=False)
        strict = run(sqlite_url, pki, record=False, strict=True)
        critical = run(sqlite_url, pki, record=False, horizons=Horizons(21, 11))
    assert kinds(warned) == {"example.com": [("smtp", "warning", "cert_expiring")]}
    assert (warned.status, strict.status) == (0, 3)
    assert kinds(critical) == {"example.com": [("smtp", "failure", "cert_expiring_critical")]}
    assert critical.status == 3
    finding = json.loads(audit_report.as_json(critical))["domains"][0]["findings"][0]
    assert finding["certificate"]["sha256"] == pki.expiring.sha256
    assert finding["certificate"]["not_after"].endswith("Z")


def test_a_server_that_drops_starttls_between_two_audits_fails(
    sqlite_url: str, pki: Pki, dovecots: Dovecots
) -> None:
    port = servers.free_port()
    seed(sqlite_url, [mail_domain("example.com", dovecots.good.tls_port, port)])
    with smtp_at(port, pki.good):
        assert run(sqlite_url, pki).status == 0
    with smtp_at(port, None):
        lost = run(sqlite_url, pki)
    assert kinds(lost) == {"example.com": [("smtp", "failure", "starttls_lost")]}
    assert lost.status == 3


def test_a_changed_certificate_warns(sqlite_url: str, pki: Pki, dovecots: Dovecots) -> None:
    port = servers.free_port()
    seed(sqlite_url, [mail_domain("example.com", dovecots.good.tls_port, port)])
    with smtp_at(port, pki.good):
        run(sqlite_url, pki)
    with smtp_at(port, pki.expiring):
        changed = run(sqlite_url, pki, horizons=Horizons(5, 1))
    assert kinds(changed) == {"example.com": [("smtp", "warning", "cert_changed")]}
    assert changed.status == 0 and changed.domains[0].verdict == "warning"
    assert pki.good.sha256 in changed.domains[0].findings[0].message


def test_a_pinned_domain_whose_certificate_changes_fails(
    sqlite_url: str, pki: Pki, dovecots: Dovecots
) -> None:
    port = servers.free_port()
    pinned = mail_domain("pinned.example", dovecots.good.tls_port, port, pin=pki.good.sha256)
    seed(sqlite_url, [pinned])
    with smtp_at(port, pki.good):
        assert run(sqlite_url, pki).status == 0
    with smtp_at(port, pki.expiring):
        swapped = run(sqlite_url, pki, horizons=Horizons(5, 1))
    assert kinds(swapped) == {"pinned.example": [("smtp", "failure", "pin_mismatch")]}
    assert swapped.status == 3


def test_an_unreachable_endpoint_fails_and_domains_are_chosen(
    sqlite_url: str, pki: Pki, dovecots: Dovecots
) -> None:
    port, closed = servers.free_port(), servers.closed_port()
    seed(
        sqlite_url,
        [
            mail_domain("a.example", dovecots.good.tls_port, port),
            mail_domain("b.example", dovecots.good.tls_port, closed),
        ],
    )
    with smtp_at(port, pki.good):
        both = run(sqlite_url, pki, record=False)
        only_a = run(sqlite_url, pki, record=False, only=("A.example",))
    assert kinds(both) == {"a.example": [], "b.example": [("smtp", "failure", "unreachable")]}
    doc = json.loads(audit_report.as_json(both))
    assert doc["summary"] == {"domains": 2, "endpoints": 4, "failing": 1, "warning": 0, "ok": 1}
    assert doc["domains"][1]["findings"][0]["failed_step"] == "connect"
    assert [d.domain for d in only_a.domains] == ["a.example"] and only_a.status == 0


def test_a_read_only_store_is_refused_before_checking_unless_nothing_is_recorded(
    sqlite_url: str, pki: Pki, dovecots: Dovecots
) -> None:
    port = servers.closed_port()
    seed(sqlite_url, [mail_domain("example.com", dovecots.good.tls_port, port)])
    store = open_store(sqlite_url, read_only=True)
    try:
        with pytest.raises(StoreError, match="read-only"):
            audit(AuditRequest(checks=loopback(pki)), store=store)
        audited = audit(AuditRequest(checks=loopback(pki), record=False), store=store)
        assert audited.status == 3 and not audited.recorded
        assert store.latest_evidence() == {}
    finally:
        store.close()

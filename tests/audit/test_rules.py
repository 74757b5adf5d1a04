"""The judging rules that compare two audits of a real server changed in between: a TLS
version lowered on the server, and a login that stops working when the password in the
server's passwd-file changes."""

from __future__ import annotations

import dataclasses
import shutil
import ssl
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from reconciler.app.audit import Audited, AuditRequest, audit
from reconciler.app.options import CheckOptions
from tests.audit.conftest import loopback, mail_domain, seed
from tests.checks import servers
from tests.checks.conftest import Dovecots
from tests.checks.harness import CREDENTIALS
from tests.checks.pki import Pki


def kinds(audited: Audited) -> list[tuple[str, str, str]]:
    (domain,) = audited.domains
    return [(f.endpoint, f.severity, f.kind) for f in domain.findings]


def run(url: str, checks: CheckOptions) -> Audited:
    return audit(AuditRequest(state_url=url, checks=checks))


@contextmanager
def smtp_tls_up_to(port: int, pki: Pki, highest: ssl.TLSVersion) -> Iterator[None]:
    """aiosmtpd on ``port`` whose STARTTLS negotiates at most ``highest``."""
    context = servers.server_context(pki.good)
    context.maximum_version = highest
    controller = Controller(
        servers._Sink(),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
    )
    controller.start()
    try:
        yield
    finally:
        controller.stop()


def test_a_tls_version_lowered_on_the_server_between_two_audits_warns(
    sqlite_url: str, pki: Pki, dovecots: Dovecots
) -> None:
    port = servers.free_port()
    seed(sqlite_url, [mail_domain("example.com", dovecots.good.tls_port, port)])
    with smtp_tls_up_to(port, pki, ssl.TLSVersion.TLSv1_3):
        first = run(sqlite_url, loopback(pki))
    with smtp_tls_up_to(port, pki, ssl.TLSVersion.TLSv1_2):
        second = run(sqlite_url, loopback(pki))
    assert kinds(first) == []
    smtp = next(e for e in second.domains[0].endpoints if e.result.target.protocol == "smtp")
    assert (smtp.previous and smtp.previous.tls_version, smtp.result.tls_version) == (
        "TLSv1.3",
        "TLSv1.2",
    )
    assert kinds(second) == [("smtp", "warning", "tls_downgraded")]
    assert second.status == 0 and second.domains[0].verdict == "warning"
    assert "TLSv1.2, down from TLSv1.3" in second.domains[0].findings[0].message


@pytest.fixture
def own_dovecot(pki: Pki) -> Iterator[servers.Dovecot]:
    """A Dovecot of this test's own, so its passwd-file can change under it."""
    # Readable by Dovecot's auth process (see tests/checks/conftest.py).
    root = Path(tempfile.mkdtemp(prefix="mailctl-dovecot-"))
    root.chmod(0o755)
    started = [servers.start_dovecot(root / "own", pki.good)]
    try:
        yield started[0]
    finally:
        servers.stop_dovecots(started)
        shutil.rmtree(root, ignore_errors=True)


def test_a_login_that_starts_failing_between_two_audits_fails(
    sqlite_url: str, pki: Pki, own_dovecot: servers.Dovecot
) -> None:
    checks = dataclasses.replace(
        loopback(pki),
        env={"MAIL_LOGIN_USER": "alice", "MAIL_LOGIN_PASSWORD": servers.USERS["alice"]},
    )
    with servers.smtp_server(starttls=pki.good) as port:  # logs in against the same users
        domain = mail_domain("example.com", own_dovecot.tls_port, port, credentials=CREDENTIALS)
        seed(sqlite_url, [domain])
        first = run(sqlite_url, checks)
        # The operator's password is now out of date. Dovecot re-reads a passwd-file whose
        # mtime or size changed, looking at most once a second: let that second pass.
        time.sleep(1.1)
        (own_dovecot.directory / "passwd").write_text("alice:{PLAIN}a-new-password\n")
        second = run(sqlite_url, checks)
    assert kinds(first) == []
    imap = next(e for e in first.domains[0].endpoints if e.result.target.protocol == "imap")
    assert "login" in [t.step for t in imap.result.timings]
    assert kinds(second) == [("imap", "failure", "login_failing")]
    assert second.status == 3 and second.domains[0].findings[0].failed_step == "login"
    assert "a-new-password" not in second.domains[0].findings[0].message

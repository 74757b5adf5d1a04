"""The audit workflow end to end on this machine: the real ``mailctl audit`` against a
real store whose domains point at a real Dovecot and aiosmtpd on loopback, run by the
script the workflow runs (mailctl-audit), its report fed to the issue keeper under
Node against the recording stand-in for GitHub's API. An SMTP server that is not
listening makes a domain fail; starting it heals the domain."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audit.conftest import mail_domain, seed, smtp_at
from tests.checks import servers
from tests.checks.conftest import pki  # noqa: F401 - the session's certificates
from tests.checks.pki import Pki
from tests.github.audit_support import LABEL, Keeper
from tests.github.conftest import Ci, Step
from tests.github.github_standin import OWNER, REPO, StandIn

ISSUES = f"/repos/{OWNER}/{REPO}/issues"


@pytest.fixture(scope="module")
def dovecot(pki: Pki) -> Iterator[servers.Dovecot]:  # noqa: F811 - the fixture above
    """One Dovecot with a CA-signed certificate (implicit TLS on tls_port)."""
    # Outside pytest's private temporary folder: Dovecot's auth process reads it.
    root = Path(tempfile.mkdtemp(prefix="mailctl-dovecot-"))
    root.chmod(0o755)
    started = [servers.start_dovecot(root / "good", pki.good)]
    try:
        yield started[0]
    finally:
        servers.stop_dovecots(started)
        shutil.rmtree(root, ignore_errors=True)


def audit(ci: Ci, pki: Pki) -> Step:  # noqa: F811 - the fixture above
    step = ci.run(
        "mailctl-audit",
        MAILCTL_ARGS=(
            f"--allow-private-targets --ca-file {pki.ca_file} "
            "--resolve imap.test.example=127.0.0.1 --resolve smtp.test.example=127.0.0.1"
        ),
    )
    assert step.returncode == 0, step.stderr
    return step


def test_real_audits_open_keep_and_close_the_failing_domain_s_issue(
    ci: Ci,
    pki: Pki,  # noqa: F811 - the fixture above
    dovecot: servers.Dovecot,
    keeper: Keeper,
    github: StandIn,
) -> None:
    down, up = servers.free_port(), servers.free_port()
    store = Path(ci.env["MAILCTL_STATE"].removeprefix("sqlite:///"))
    store.parent.mkdir()
    seed(
        ci.env["MAILCTL_STATE"],
        [
            mail_domain("a.example", dovecot.tls_port, down),
            mail_domain("b.example", dovecot.tls_port, up),
        ],
    )
    with smtp_at(up, pki.good):
        # 1: a.example's SMTP server does not answer: the audit fails, one issue opens.
        first = audit(ci, pki)
        assert (first.outputs["exit-status"], first.outputs["passed"]) == ("3", "false")
        report = Path(first.outputs["audit-file"])
        assert report.name == "audit.json"
        ran = keeper(report)
        assert ran.returncode == 0, ran.stderr
        ((method, path, created),) = github.writes()
        assert (method, path) == ("POST", ISSUES)
        assert created["title"] == "mailctl audit: a.example is failing"
        assert created["labels"] == [LABEL]
        assert f"<code>smtp.test.example:{down}</code>" in created["body"]
        assert "<code>unreachable</code>" in created["body"]
        assert "b.example" not in created["body"]
        assert keeper.summary.read_text().startswith("## mailctl audit: 1 failing, 0 warning, 1 ok")

        # 2: still down, audited again: the evidence is the same, nothing is written.
        second = audit(ci, pki)
        assert second.outputs["exit-status"] == "3"
        ran = keeper(Path(second.outputs["audit-file"]))
        assert ran.returncode == 0, ran.stderr
        assert github.writes() == []

        # 3: the server is back: the audit passes and the issue is closed with a comment.
        with smtp_at(down, pki.good):
            third = audit(ci, pki)
        assert (third.outputs["exit-status"], third.outputs["passed"]) == ("0", "true")
        ran = keeper(Path(third.outputs["audit-file"]))
        assert ran.returncode == 0, ran.stderr
        (said, closed) = github.writes()
        assert said[2]["body"].startswith("<code>a.example</code> passes every check")
        assert closed[2] == {"state": "closed", "state_reason": "completed"}

"""Live checks through the real ``mailctl``: ``check``, ``plan`` (evidence, exit 3) and
``apply`` (the checks gate, re-checking an old plan). Real Dovecot and aiosmtpd on
loopback; names are pinned with --resolve, so no DNS query ever leaves the machine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.checks import servers
from tests.checks.conftest import Dovecots
from tests.checks.pki import Pki
from tests.conftest import Run
from tests.tty_support import stderr_on_a_tty

PINS = ["--resolve", "imap.test.example=127.0.0.1", "--resolve", "smtp.test.example=127.0.0.1"]


@pytest.fixture
def smtp_port(pki: Pki) -> Iterator[int]:
    with servers.smtp_server(starttls=pki.good) as port:
        yield port


def domains(path: Path, imap_port: int, smtp_port: int, extra: str = "") -> Path:
    path.write_text(
        "version: 1\ndomains:\n  shop.example:\n"
        f"    imap: {{host: imap.test.example, port: {imap_port}, security: ssl}}\n"
        f"    smtp: {{host: smtp.test.example, port: {smtp_port}, security: starttls}}\n" + extra
    )
    return path


def live(pki: Pki) -> list[str]:
    return [*PINS, "--allow-private-targets", "--ca-file", str(pki.ca_file)]


@pytest.mark.smoke
def test_check_passes_against_real_servers(
    tmp_path: Path, dovecots: Dovecots, smtp_port: int, pki: Pki, run_mailctl: Run
) -> None:
    path = domains(tmp_path / "d.yaml", dovecots.good.tls_port, smtp_port)
    result = run_mailctl("check", str(path), *live(pki))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ok   imap imap.test.example:{dovecots.good.tls_port} ssl: passed" in result.stdout
    assert "2 endpoints checked: 2 passed, 0 failed." in result.stdout
    # One progress line per endpoint in a log (no terminal).
    assert result.stderr.count("check ") == 2


def test_loopback_is_refused_without_the_flag(
    tmp_path: Path, dovecots: Dovecots, smtp_port: int, pki: Pki, mailctl: Run
) -> None:
    path = domains(tmp_path / "d.yaml", dovecots.good.tls_port, smtp_port)
    result = mailctl("check", str(path), *PINS, "--ca-file", str(pki.ca_file))
    assert result.returncode == 3
    assert "refused at guard" in result.stdout
    assert "127.0.0.1 (loopback address)" in result.stdout


def test_plan_records_evidence_and_exits_3_when_a_check_fails(
    tmp_path: Path, dovecots: Dovecots, smtp_port: int, pki: Pki, mailctl: Run
) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    good = domains(tmp_path / "good.yaml", dovecots.good.tls_port, smtp_port)
    out = tmp_path / "plan.json"
    plan = mailctl(
        "plan",
        str(good),
        "--state",
        state,
        "--out",
        str(out),
        "--detailed-exitcode",
        *live(pki),
    )
    assert plan.returncode == 2, plan.stdout + plan.stderr
    checks = json.loads(out.read_text())["checks"]
    assert checks["status"] == "passed"
    assert [e["domains"] for e in checks["endpoints"]] == [["shop.example"], ["shop.example"]]
    imap = checks["endpoints"][0]["result"]
    assert imap["tls_version"] and imap["certificate"]["trusted"] is True
    assert "IMAP4REV1" in [c.upper() for c in imap["capabilities"]]

    bad = domains(tmp_path / "bad.yaml", dovecots.self_signed.tls_port, smtp_port)
    failed = mailctl("plan", str(bad), "--state", state, *live(pki))
    assert failed.returncode == 3, failed.stdout + failed.stderr
    assert "certificate is self-signed" in failed.stdout + failed.stderr


def test_apply_gate_needs_checked_changes(
    tmp_path: Path, dovecots: Dovecots, smtp_port: int, pki: Pki, mailctl: Run
) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    path = domains(tmp_path / "d.yaml", dovecots.good.tls_port, smtp_port)
    unchecked = tmp_path / "unchecked.json"
    assert (
        mailctl(
            "plan", str(path), "--state", state, "--no-checks", "--out", str(unchecked)
        ).returncode
        == 4  # its apply is refused below, so the plan says so already
    )
    refused = mailctl("apply", str(unchecked), "--state", state)
    assert refused.returncode == 4
    assert "blocked by gate checks" in refused.stderr
    assert "--allow-unchecked" in refused.stderr

    checked = tmp_path / "checked.json"
    assert (
        mailctl("plan", str(path), "--state", state, "--out", str(checked), *live(pki)).returncode
        == 0
    )
    # An old plan is checked again before it is applied (here: any age is too old).
    applied = mailctl("apply", str(checked), "--state", state, "--max-check-age", "0", *live(pki))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert applied.stderr.count("check ") == 2  # the re-check's progress lines


def test_an_old_plan_whose_server_broke_is_refused(
    tmp_path: Path, dovecots: Dovecots, pki: Pki, mailctl: Run
) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    with servers.smtp_server(starttls=pki.good) as port:
        path = domains(tmp_path / "d.yaml", dovecots.good.tls_port, port)
        out = tmp_path / "plan.json"
        assert (
            mailctl("plan", str(path), "--state", state, "--out", str(out), *live(pki)).returncode
            == 0
        )
    # The SMTP server is gone now; re-checked at apply, the plan no longer holds.
    refused = mailctl("apply", str(out), "--state", state, "--max-check-age", "0", *live(pki))
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert "blocked by gate checks" in refused.stderr
    assert f"smtp://smtp.test.example:{port}/starttls" in refused.stderr


def test_a_terminal_gets_a_progress_bar_not_log_lines(
    tmp_path: Path, dovecots: Dovecots, smtp_port: int, pki: Pki
) -> None:
    path = domains(tmp_path / "d.yaml", dovecots.good.tls_port, smtp_port)
    shown = stderr_on_a_tty(["check", str(path), *live(pki)], {})
    assert "live checks" in shown  # the bar's label
    assert "check imap imap.test.example" not in shown  # no per-endpoint log line

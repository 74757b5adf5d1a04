"""What a person at a terminal, and a CI log, see of the live checks; and Ctrl-C.

The bar is drawn on a real pseudo-terminal; the servers are real, on loopback."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from reconciler.cli.progress import CheckProgress
from reconciler.plan.evidence import CheckResult, CheckTarget
from tests.checks import servers
from tests.checks.conftest import Dovecots
from tests.checks.hostile import Peer, hostile_server
from tests.checks.pki import Pki
from tests.cli_support import mailctl

PINS = ["--resolve", "imap.test.example=127.0.0.1", "--resolve", "smtp.test.example=127.0.0.1"]
# Server text that rich would read as markup, were it ever parsed.
SAID = "[bold red]550 [link=http://x]no[/link][/bold red]"


def results() -> list[CheckResult]:
    imap = CheckTarget(protocol="imap", host="imap.test.example", port=993, security="ssl")
    smtp = CheckTarget(protocol="smtp", host="smtp.test.example", port=587, security="starttls")
    return [
        CheckResult(target=imap, verdict="failed", failed_step="greeting", message=SAID),
        CheckResult(target=smtp, verdict="passed"),
    ]


def read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_a_failed_endpoint_on_a_terminal_is_printed_as_said_and_the_bar_stays_clean(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    primary, secondary = pty.openpty()
    terminal = os.fdopen(secondary, "w", encoding="utf-8")
    monkeypatch.setattr("sys.stderr", terminal)
    with CheckProgress() as progress:
        progress.start(2)
        for result in results():
            progress(result)
    terminal.close()
    shown = read_all(primary)
    os.close(primary)
    assert "live checks" in shown
    assert "[progress.description]" not in shown
    assert SAID in shown.replace("\r\n", "")  # literally, however the terminal wraps it


def test_a_log_that_also_holds_the_report_gets_no_line_per_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "ci.log"
    with log.open("w") as out, log.open("a") as err:  # 2>&1: one file, two streams
        monkeypatch.setattr("sys.stdout", out)
        monkeypatch.setattr("sys.stderr", err)
        with CheckProgress() as progress:
            progress.start(2)
            for result in results():
                progress(result)
    written = log.read_text()
    assert "imap.test.example" not in written
    assert "live checks: 2 endpoints" in written


def test_a_log_apart_from_the_report_gets_one_line_per_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (tmp_path / "out").open("w") as out, (tmp_path / "err").open("w") as err:
        monkeypatch.setattr("sys.stdout", out)
        monkeypatch.setattr("sys.stderr", err)
        with CheckProgress() as progress:
            progress.start(2)
            for result in results():
                progress(result)
    assert (tmp_path / "err").read_text().count("check ") == 2


@pytest.mark.smoke
def test_check_output_with_stderr_into_stdout_names_each_endpoint_once(
    tmp_path: Path, dovecots: Dovecots, pki: Pki, mailctl_bin: str
) -> None:
    with servers.smtp_server(starttls=pki.good) as smtp_port:
        path = tmp_path / "d.yaml"
        path.write_text(
            "version: 1\ndomains:\n  shop.example:\n"
            f"    imap: {{host: imap.test.example, port: {dovecots.good.tls_port}, "
            "security: ssl}\n"
            f"    smtp: {{host: smtp.test.example, port: {smtp_port}, security: starttls}}\n"
        )
        args = ["check", str(path), *PINS, "--allow-private-targets", "--ca-file", str(pki.ca_file)]
        ran = subprocess.run(
            [mailctl_bin, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
    assert ran.returncode == 0, ran.stdout
    assert ran.stdout.count("imap.test.example:") == 1, ran.stdout
    assert ran.stdout.count("smtp.test.example:") == 1, ran.stdout


async def interrupt(peer: Peer) -> None:
    """Press Ctrl-C (a real SIGINT to this process) while the check waits for a greeting."""
    os.kill(os.getpid(), signal.SIGINT)
    await peer.line()


def test_ctrl_c_during_a_check_exits_130_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a crash report would go
    with hostile_server(interrupt) as server:
        path = tmp_path / "d.yaml"
        path.write_text(
            "version: 1\ndomains:\n  shop.example:\n"
            f"    imap: {{host: imap.test.example, port: {server.port}, security: starttls}}\n"
            f"    smtp: {{host: smtp.test.example, port: {server.port}, security: starttls}}\n"
        )
        ran = mailctl("check", str(path), *PINS, "--allow-private-targets", cwd=tmp_path)
    assert ran.returncode == 130, ran.stdout + ran.stderr
    assert ran.stderr.strip().splitlines()[-1] == "mailctl: interrupted"
    assert "Traceback" not in ran.stderr and "internal error" not in ran.stderr
    assert not list(tmp_path.glob("mailctl-crash-*"))

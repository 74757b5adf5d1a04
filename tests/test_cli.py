"""The command line: run in-process through its real entry point, and (marked smoke)
through a real subprocess of the installed ``mailctl``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import __version__, cli
from tests.cli_support import mailctl
from tests.conftest import EXAMPLES, FIXTURES, ROOT, Run
from tests.tty_support import stderr_on_a_tty

EXAMPLE = EXAMPLES / "domains.yaml"


@pytest.mark.smoke
def test_version(run_mailctl: Run) -> None:
    result = run_mailctl("--version")
    assert result.returncode == 0
    assert result.stdout == f"mailctl, version {__version__}\n"


@pytest.mark.smoke
def test_help_teaches_commands_and_exit_codes(run_mailctl: Run) -> None:
    result = run_mailctl("--help")
    assert result.returncode == 0
    for text in ("validate", "schema", "Exit codes", "blocked by a gate"):
        assert text in result.stdout
    sub = run_mailctl("validate", "--help")
    assert sub.returncode == 0
    assert "Examples:" in sub.stdout
    assert "--format [text|json|github]" in sub.stdout


@pytest.mark.smoke
def test_python_dash_m_runs_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "valid: 6 domains" in result.stdout


def test_validate_example_prints_one_summary_line() -> None:
    result = mailctl("validate", "examples/domains.yaml")
    assert result.returncode == 0
    assert result.stdout == (
        "examples/domains.yaml: valid: 6 domains (4 with static IP addresses) in 1 file; "
        "1 feed of connection IPs not read (plan reads them)\n"
    )
    assert result.stderr == ""


def test_validate_folder() -> None:
    result = mailctl("validate", "examples")
    assert result.returncode == 0
    assert result.stdout.startswith("examples: valid: 6 domains")


def test_validate_json_summary() -> None:
    result = mailctl("validate", "--format", "json", str(EXAMPLE))
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert document["summary"] == {
        "domains": 6,
        "static_ip_domains": 4,
        "files": 1,
        "connection_ranges": 3,
        "feeds": 1,
        "errors": 0,
        "warnings": 0,
    }
    assert document["diagnostics"] == []


def test_github_annotations_point_at_yaml_lines() -> None:
    path = FIXTURES / "bad" / "several_errors.yaml"
    result = mailctl("validate", "--format", "github", str(path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert lines[0] == (
        f"::error file={path},line=4,col=42,title=mailctl error::"
        "port must be between 1 and 65535, not 99999"
    )
    assert lines[2].startswith(f"::error file={path},line=6,col=5,")
    assert "unknown key 'colour' in domain b.example.com (hint: allowed keys:" in lines[2]


def test_github_escapes_workflow_command_characters(tmp_path: Path) -> None:
    path = tmp_path / "a,b:c%.yaml"
    path.write_text("version: 1\ndomains:\n  a.example.com: 5\n")
    result = mailctl("validate", "--format", "github", str(path))
    assert result.returncode == 1
    assert f"file={str(path).replace('%', '%25').replace(':', '%3A').replace(',', '%2C')}," in (
        result.stdout
    )


def test_warnings_are_shown_but_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(
        "version: 1\ndomains:\n  a.example.com:\n"
        "    imap: {host: imap.example.com, port: 143, security: none}\n"
        "    smtp: {host: smtp.example.com}\n"
    )
    result = mailctl("validate", str(path))
    assert result.returncode == 0
    assert f"{path}:4:5: warning: imap of a.example.com uses security: none" in result.stderr
    github = mailctl("validate", "--format", "github", str(path))
    assert github.stdout.startswith(f"::warning file={path},line=4,col=5,")


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "--format", "xml", "examples"],
        ["no-such-command"],
        ["validate", "--no-such-option", "examples"],
    ],
)
def test_usage_errors_exit_1_not_2(args: list[str]) -> None:
    result = mailctl(*args)
    assert result.returncode == 1
    assert "Usage:" in result.stderr or "Error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_internal_error_is_reported_as_a_bug_with_details_in_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The one place a fault is injected by replacing a function: no input can make a
    # correct mailctl crash, yet the error boundary must be proven.
    def explode(*_args: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr("reconciler.cli.validate.load", explode)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    with pytest.raises(SystemExit) as exited:
        cli.main(["validate", "examples"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "internal error (KeyError): this is a bug in mailctl" in err
    assert "Traceback" not in err
    (report,) = tmp_path.glob("mailctl-crash-*/crash-*.log")
    assert "KeyError: 'boom'" in report.read_text()
    assert str(report) in err


@pytest.mark.smoke
def test_colour_on_a_tty_and_never_with_no_color() -> None:
    args = ["validate", str(FIXTURES / "bad" / "port_zero.yaml")]
    assert "\x1b[" in stderr_on_a_tty(args, {})
    assert "\x1b[" not in stderr_on_a_tty(args, {"NO_COLOR": "1"})


def test_no_colour_when_not_a_tty() -> None:
    result = mailctl("validate", str(FIXTURES / "bad" / "port_zero.yaml"))
    assert "\x1b[" not in result.stderr

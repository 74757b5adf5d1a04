"""The command line's one error boundary, in-process: every command's input errors in
the format it was asked for, and every exit code of the interface."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli

BAD = """\
version: 1
domains:
  a.example.com:
    imap: {host: imap.example.com}
    smtp: {host: smtp.example.com}
    allow_non_secure_certificate: yes
"""
GOOD = """\
version: 1
domains:
  a.example.com:
    imap: {host: imap.example.com}
    smtp: {host: smtp.example.com}
"""
PLACE = "d.yaml:6:35"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a bad and a good domains file, and its own SQLite store."""
    (tmp_path / "d.yaml").write_text(BAD)
    (tmp_path / "good.yaml").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAILCTL_STATE", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.delenv("MAILCTL_PLAN_KEY", raising=False)
    return tmp_path


def invoke(*argv: str) -> Result:
    return CliRunner().invoke(cli, list(argv), catch_exceptions=False)


COMMANDS = {
    "validate": ("validate", "d.yaml"),
    "check": ("check", "d.yaml"),
    "plan": ("plan", "d.yaml", "--no-checks"),
    "apply": ("apply", "d.yaml", "--no-checks", "--allow-unchecked", "--auto-approve"),
    "allowlist": ("allowlist", "d.yaml", "--from", "desired", "--out", "out"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_text_input_errors_are_located_one_liners_on_stderr(project: Path, command: str) -> None:
    result = invoke(*COMMANDS[command])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"{PLACE}: error: allow_non_secure_certificate must be true or false, not 'yes'\n"
        "  hint: YAML 1.2 reads yes as text"
    )
    assert result.stderr.endswith("d.yaml: 1 error in 1 file\n")
    assert not (project / "out").exists()


@pytest.mark.parametrize("command", ["validate", "check", "plan"])
def test_json_input_errors_are_json_diagnostics_on_stdout(project: Path, command: str) -> None:
    result = invoke(*COMMANDS[command], "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["path"] == "d.yaml"
    [item] = document["diagnostics"]
    assert (item["file"], item["line"], item["column"]) == ("d.yaml", 6, 35)
    assert item["hint"].startswith("YAML 1.2 reads yes as text")
    assert result.stderr == ""


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_github_input_errors_are_annotations(project: Path, command: str) -> None:
    result = invoke(*COMMANDS[command], "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "::error file=d.yaml,line=6,col=35,title=mailctl error::allow_non_secure_certificate"
    )
    assert result.stderr == "d.yaml: 1 error in 1 file\n"


def test_a_markdown_plan_shows_input_errors_as_text(project: Path) -> None:
    result = invoke(*COMMANDS["plan"], "--format", "markdown")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{PLACE}: error: ")


def test_every_exit_code_once(project: Path) -> None:
    """0 no changes, 1 input, 2 changes (--detailed-exitcode), 4 blocked; 3 (a failed
    live check) needs a mail server: tests/checks/test_cli.py, and the rule itself
    tests/plan/test_status.py."""
    unchecked = ("plan", "good.yaml", "--no-checks")
    assert invoke(*unchecked, "--allow-unchecked").exit_code == 0
    assert invoke(*unchecked, "--allow-unchecked", "--detailed-exitcode").exit_code == 2
    assert invoke("plan", "d.yaml", "--no-checks").exit_code == 1
    # Unchecked and not lifted: the plan is blocked exactly as its apply is.
    blocked = invoke(*unchecked, "--detailed-exitcode", "--out", "plan.json")
    assert blocked.exit_code == 4
    assert "--allow-unchecked" in blocked.stdout
    refused = invoke("apply", "plan.json")
    assert refused.exit_code == 4
    assert refused.stderr.startswith("mailctl: ") and "blocked by gate checks" in refused.stderr
    # A gate lifted only at apply is a decision the reviewed plan does not hold.
    late = invoke("apply", "plan.json", "--allow-unchecked")
    assert late.exit_code == 1 and "not made with --allow-unchecked" in late.stderr
    assert invoke(*unchecked, "--allow-unchecked", "--out", "plan.json").exit_code == 0
    # The plan is not signed: its apply repeats the override it records.
    applied = invoke("apply", "plan.json", "--allow-unchecked")
    assert applied.exit_code == 0, applied.stderr
    assert invoke(*unchecked, "--detailed-exitcode").exit_code == 0  # nothing left to do


def test_an_expected_failure_is_one_line_and_exit_1(project: Path) -> None:
    result = invoke("rollback", "--to", "7", "--no-checks")
    assert result.exit_code == 1
    assert result.stderr.startswith("mailctl: error: ")
    assert result.stderr.count("\n") == 1

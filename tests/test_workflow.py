"""plan -> apply -> history -> rollback -> export, end to end through real subprocesses
of the installed mailctl against a real SQLite store."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Run

DOMAIN = "    imap: {{host: imap.{0}}}\n    smtp: {{host: smtp.{0}}}\n"


def domains_file(path: Path, names: list[str], extra: str = "", ranges: str = "") -> Path:
    body = "".join(f"  {n}:\n" + DOMAIN.format(n) + extra for n in names)
    head = "version: 1\n"
    if ranges:
        head += f"connection_ips:\n  ranges: [{ranges}]\n"
    path.write_text(head + "domains:\n" + body)
    return path


@pytest.fixture
def state(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"


@pytest.mark.smoke
def test_example_plan_apply_no_changes(tmp_path: Path, run_offline: Run) -> None:
    # The default store lives in .mailctl/ of the current folder, created on first apply.
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    plan = run_offline("plan", "examples", "--detailed-exitcode", cwd=tmp_path)
    assert plan.returncode == 2, plan.stderr
    assert "Plan: 6 to create, 0 to update, 0 to delete, 5 range changes." in plan.stdout
    assert not (tmp_path / ".mailctl").exists()  # a plan writes nothing
    applied = run_offline(
        "apply",
        "examples",
        "--auto-approve",
        "--actor",
        "ci",
        cwd=tmp_path,
    )
    assert applied.returncode == 0, applied.stderr
    assert "Applied: serial 1 (6 created, 0 updated, 0 deleted, 5 range changes)." in (
        applied.stdout
    )
    assert (tmp_path / ".mailctl" / "state.db").exists()
    again = run_offline("plan", "examples", "--detailed-exitcode", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


def test_saved_plan_applies_exactly_and_goes_stale(
    tmp_path: Path, state: str, mailctl_offline: Run
) -> None:
    first = domains_file(tmp_path / "d.yaml", ["a.example", "b.example"])
    out = tmp_path / "plan.json"
    assert mailctl_offline("plan", str(first), "--state", state, "--out", str(out)).returncode == 0
    document = json.loads(out.read_text())
    assert document["summary"]["create"] == 2
    # The file changes after the plan was saved: apply still applies the saved plan.
    domains_file(first, ["c.example"])
    applied = mailctl_offline("apply", str(out), "--state", state)
    assert applied.returncode == 0, applied.stderr
    shown = json.loads(mailctl_offline("show", "--state", state, "--format", "json").stdout)
    assert sorted(shown["domains"]) == ["a.example", "b.example"]
    assert shown["serial"] == 1
    # Applying the same plan again: the store moved on, so it is stale (exit 4).
    stale = mailctl_offline("apply", str(out), "--state", state)
    assert stale.returncode == 4
    assert "saved plan is stale" in stale.stderr
    assert "run mailctl plan again" in stale.stderr


def test_edited_plan_is_refused(tmp_path: Path, state: str, mailctl_offline: Run) -> None:
    out = tmp_path / "plan.json"
    mailctl_offline(
        "plan",
        str(domains_file(tmp_path / "d.yaml", ["a.example"])),
        "--state",
        state,
        "--out",
        str(out),
    )
    document = json.loads(out.read_text())
    document["target"]["domains"][0]["imap"]["port"] = 1
    out.write_text(json.dumps(document))
    result = mailctl_offline("apply", str(out), "--state", state)
    assert result.returncode == 1
    assert "plan checksum does not match its content" in result.stderr
    assert not (tmp_path / "state.db").exists()


def test_apply_path_without_terminal_needs_auto_approve(
    tmp_path: Path, state: str, mailctl_offline: Run
) -> None:
    path = domains_file(tmp_path / "d.yaml", ["a.example"])
    result = mailctl_offline("apply", str(path), "--state", state)
    assert result.returncode == 1
    assert "pass --auto-approve" in result.stderr
    assert not (tmp_path / "state.db").exists()


def test_gates_block_with_exit_4_and_name_the_override(
    tmp_path: Path, state: str, mailctl_offline: Run
) -> None:
    path = domains_file(tmp_path / "d.yaml", ["a.example"])
    assert (
        mailctl_offline(
            "apply",
            str(path),
            "--state",
            state,
            "--auto-approve",
        ).returncode
        == 0
    )
    weaker = path.read_text().replace(
        "imap: {host: imap.a.example}", "imap: {host: imap.a.example, port: 143, security: none}"
    )
    path.write_text(weaker)
    plan = mailctl_offline("plan", str(path), "--state", state, "--out", str(tmp_path / "p.json"))
    assert plan.returncode == 4
    assert "blocked by downgrade" in plan.stdout
    assert "--allow-downgrade" in plan.stdout
    refused = mailctl_offline("apply", str(tmp_path / "p.json"), "--state", state)
    assert refused.returncode == 4
    assert (
        "blocked by gate downgrade: security downgrade: a.example: imap security ssl -> none"
        in (refused.stderr)
    )
    assert "make the plan again with --allow-downgrade" in refused.stderr
    # A saved plan is applied with the gates it lifts, and no flag of the apply's own.
    late = mailctl_offline("apply", str(tmp_path / "p.json"), "--state", state, "--allow-downgrade")
    assert late.returncode == 1
    assert "the saved plan was not made with --allow-downgrade" in late.stderr
    # Signed with the key both jobs share, the plan's own overrides are honoured.
    keyed = {"MAILCTL_PLAN_KEY": "a-key-the-plan-and-apply-jobs-share"}
    replanned = mailctl_offline(
        "plan",
        *(str(path), "--state", state, "--allow-downgrade", "--out", str(tmp_path / "p.json")),
        env=keyed,
    )
    assert replanned.returncode == 0, replanned.stderr
    unsigned = mailctl_offline("apply", str(tmp_path / "p.json"), "--state", state)
    assert unsigned.returncode == 1
    assert "give --allow-downgrade (as the plan shows)" in unsigned.stderr
    allowed = mailctl_offline("apply", str(tmp_path / "p.json"), "--state", state, env=keyed)
    assert allowed.returncode == 0, allowed.stderr


def test_history_rollback_and_export_round_trip(
    tmp_path: Path, state: str, mailctl_offline: Run
) -> None:
    path = domains_file(tmp_path / "d.yaml", ["a.example", "b.example"], ranges="192.0.2.0/28")
    assert (
        mailctl_offline(
            "apply",
            str(path),
            "--state",
            state,
            "--auto-approve",
        ).returncode
        == 0
    )
    domains_file(path, ["a.example", "c.example"], ranges="192.0.2.0/28")
    assert (
        mailctl_offline(
            "apply",
            str(path),
            "--state",
            state,
            "--auto-approve",
        ).returncode
        == 0
    )
    printed = mailctl_offline("history", "--state", state, "--format", "json").stdout
    history = json.loads(printed)["entries"]
    assert [h["serial"] for h in history] == [1, 2]
    assert history[1]["summary"]["create"] == 1 and history[1]["summary"]["delete"] == 1

    out = tmp_path / "rollback.json"
    rolled = mailctl_offline("rollback", "--to", "1", "--state", state, "--out", str(out))
    assert rolled.returncode == 0, rolled.stderr
    assert "Plan: 1 to create, 0 to update, 1 to delete" in rolled.stdout
    assert mailctl_offline("apply", str(out), "--state", state).returncode == 0
    shown = json.loads(mailctl_offline("show", "--state", state, "--format", "json").stdout)
    assert sorted(shown["domains"]) == ["a.example", "b.example"]
    assert shown["serial"] == 3
    kinds = json.loads(mailctl_offline("history", "--state", state, "--format", "json").stdout)
    assert kinds["entries"][-1]["kind"] == "rollback"

    exported = tmp_path / "exported.yaml"
    assert mailctl_offline("export", "--state", state, "--out", str(exported)).returncode == 0
    replan = mailctl_offline("plan", str(exported), "--state", state, "--detailed-exitcode")
    assert replan.returncode == 0, replan.stdout


def test_drift_made_by_another_tool_shows_per_domain(
    tmp_path: Path, state: str, mailctl_offline: Run
) -> None:
    path = domains_file(tmp_path / "d.yaml", ["a.example", "b.example"])
    assert (
        mailctl_offline(
            "apply",
            str(path),
            "--state",
            state,
            "--auto-approve",
        ).returncode
        == 0
    )
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute("UPDATE domains SET imap_port = 995 WHERE name = 'a.example'")
    plan = mailctl_offline("plan", str(path), "--state", state, "--format", "json")
    document = json.loads(plan.stdout)
    assert document["drift"] == [
        {
            "domain": "a.example",
            "kind": "changed",
            "fields": [{"field": "imap.port", "before": 993, "after": 995}],
        }
    ]
    assert [c["domain"] for c in document["changes"]] == ["a.example"]


def test_bad_input_never_touches_the_store(
    tmp_path: Path, state: str, mailctl_offline: Run
) -> None:
    path = domains_file(tmp_path / "d.yaml", ["a.example"])
    assert (
        mailctl_offline(
            "apply",
            str(path),
            "--state",
            state,
            "--auto-approve",
        ).returncode
        == 0
    )
    before = (tmp_path / "state.db").read_bytes()
    path.write_text("version: 1\ndomains:\n  a.example:\n    imap: {host: x_y.example}\n")
    result = mailctl_offline("apply", str(path), "--state", state, "--auto-approve")
    assert result.returncode == 1
    assert f"{path}:4:" in result.stderr
    assert (tmp_path / "state.db").read_bytes() == before

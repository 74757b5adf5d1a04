"""The installed mailctl as subprocesses: every reader of a store nothing was applied
to exits 1 and says so; a rollback points at export --serial, which writes the revert
(over a hand-written file only with --force); history names the restored serial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_support import offline
from tests.conftest import Run

DOMAINS = (
    "version: 1\ndomains:\n"
    "  a.example:\n    imap: {host: imap.a.example}\n    smtp: {host: smtp.a.example}\n"
)
NO_STORE = "nothing has been applied there yet; check --state / MAILCTL_STATE"

pytestmark = pytest.mark.smoke


def test_every_reader_of_a_missing_store_exits_1(tmp_path: Path, run_mailctl: Run) -> None:
    domains = tmp_path / "domains.yaml"
    domains.write_text(DOMAINS)
    real = f"sqlite:///{tmp_path / 'state.db'}"
    saved = tmp_path / "p.json"
    offline("apply", str(domains), "--auto-approve", "--state", real)
    assert offline("plan", str(domains), "--out", str(saved), "--state", real).returncode == 0
    typo = tmp_path / "typo.db"
    state = ("--state", f"sqlite:///{typo}")
    for command in (
        ("show",),
        ("history",),
        ("export", "--out", str(domains)),
        ("inbox", "list"),
        ("allowlist", "--out", str(tmp_path / "fw")),
        ("autoconfig", "export", "--out", str(tmp_path / "www")),
        ("apply", str(saved), "--allow-unchecked"),
    ):
        result = run_mailctl(*command, *state)
        assert (result.returncode, result.stdout) == (1, ""), command
        assert f"no store at sqlite:///{typo}: {NO_STORE}" in result.stderr, command
    assert domains.read_text() == DOMAINS
    assert not list(tmp_path.glob("typo*")) and not (tmp_path / "fw").exists()
    assert not (tmp_path / "www").exists()


def test_rollback_then_export_serial_then_history(tmp_path: Path, run_mailctl: Run) -> None:
    domains = tmp_path / "domains.yaml"
    state = ("--state", f"sqlite:///{tmp_path / 'state.db'}")
    for text in (DOMAINS, DOMAINS.replace("a.example", "b.example")):
        domains.write_text(text)
        assert offline("apply", str(domains), "--auto-approve", *state).returncode == 0
    saved = tmp_path / "back.json"
    back = run_mailctl(
        "rollback", "--to", "1", "--no-checks", "--allow-unchecked", "--out", str(saved), *state
    )
    assert back.returncode == 0, back.stderr
    assert "mailctl export --serial 1 --out domains.yaml" in back.stdout
    assert offline("apply", str(saved), *state).returncode == 0

    shown = run_mailctl("history", "--format", "json", *state)
    assert [e["restored_serial"] for e in json.loads(shown.stdout)["entries"]] == [None, None, 1]
    assert "restored serial 1" in run_mailctl("history", *state).stdout

    refused = run_mailctl("export", "--serial", "1", "--out", str(domains), *state)
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert "b.example" in domains.read_text()
    written = run_mailctl("export", "--serial", "1", "--out", str(domains), "--force", *state)
    assert (written.returncode, written.stderr) == (0, f"Wrote {domains}\n")
    assert offline("plan", str(domains), *state).returncode == 0  # the revert: no changes
    unknown = run_mailctl("export", "--serial", "9", *state)
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert "has no revision 9" in unknown.stderr

"""``--domain`` and ``--exclude`` through the installed console script: a targeted
plan saved and applied, an unknown name and an apply-time change of the targeting
refused as usage errors (exit 1) with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_support import OFFLINE
from tests.conftest import Run
from tests.ten_domains_support import domains_file, stored_hosts


@pytest.mark.smoke
def test_a_targeted_plan_is_saved_shown_and_applied(run_mailctl: Run, tmp_path: Path) -> None:
    path = domains_file(tmp_path / "domains.yaml")
    state = f"sqlite:///{tmp_path / 'state.db'}"
    where = ("--state", state)
    seeded = run_mailctl("apply", str(path), *where, "--auto-approve", *OFFLINE["apply"])
    assert seeded.returncode == 0, seeded.stderr
    domains_file(path, moved=4)
    db = tmp_path / "state.db"
    before = db.read_bytes()

    typo = run_mailctl("plan", str(path), *where, *OFFLINE["plan"], "--domain", "d00.exmaple")
    assert typo.returncode == 1
    assert "--domain d00.exmaple: no such domain in the desired state or the store" in typo.stderr
    assert "did you mean d00.example?" in typo.stderr

    out = tmp_path / "p.json"
    planned = run_mailctl(
        "plan", str(path), *where, *OFFLINE["plan"], "--domain", "D00.Example.", "--out", str(out)
    )
    assert planned.returncode == 0, planned.stderr
    assert "planned only: --domain d00.example" in planned.stdout
    assert "not planned: 3 domains with changes (d01.example" in planned.stdout
    assert "1 to update, 0 to delete, 0 range changes, 3 not planned." in planned.stdout

    other = run_mailctl("apply", str(out), *where, *OFFLINE["apply"], "--exclude", "d01.example")
    assert other.returncode == 1
    assert "make the plan again with these --domain/--exclude" in other.stderr
    assert db.read_bytes() == before

    applied = run_mailctl("apply", str(out), *where, *OFFLINE["apply"])
    assert applied.returncode == 0, applied.stderr
    hosts = stored_hosts(state)
    assert hosts["d00.example"] == "imap.new.d00.example"
    assert hosts["d01.example"] == "imap.d01.example"

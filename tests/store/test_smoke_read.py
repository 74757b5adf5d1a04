"""The installed ``mailctl show``, ``history`` and ``export`` as subprocesses: exit codes,
and what goes to standard output and what to standard error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.cli_support import offline
from tests.conftest import Run

DOMAINS = (
    "version: 1\ndomains:\n  a.example:\n"
    "    imap: {host: imap.a.example}\n    smtp: {host: smtp.a.example}\n"
)

pytestmark = pytest.mark.smoke


def test_show_history_export(tmp_path: Path, run_mailctl: Run) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    path = tmp_path / "domains.yaml"
    path.write_text(DOMAINS)
    assert offline("apply", str(path), "--auto-approve", "--state", state).returncode == 0

    shown = run_mailctl("show", "--format", "json", "--state", state)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["domains"]["a.example"]["imap.host"] == "imap.a.example"
    history = run_mailctl("history", "--format", "json", "--state", state)
    assert history.returncode == 0
    assert [e["serial"] for e in json.loads(history.stdout)["entries"]] == [1]
    exported = run_mailctl("export", "--state", state)
    assert exported.returncode == 0
    assert list(yaml.safe_load(exported.stdout)["domains"]) == ["a.example"]
    out = tmp_path / "exported.yaml"
    written = run_mailctl("export", "--out", str(out), "--state", state)
    assert (written.returncode, written.stdout, written.stderr) == (0, "", f"Wrote {out}\n")
    assert out.read_text() == exported.stdout
    bad = run_mailctl("show", "--format", "xml", "--state", state)
    assert bad.returncode == 1  # a usage error is 1, never click's 2
    assert "Invalid value for '--format'" in bad.stderr

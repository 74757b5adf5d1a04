"""The installed ``mailctl`` failing with ``--format json``: the diagnostics document on
standard output, with the exit code of the failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.json_support import schema

pytestmark = pytest.mark.smoke


def test_failing_json_runs_print_json_on_stdout(tmp_path: Path, run_mailctl: Run) -> None:
    (tmp_path / "d.yaml").write_text(
        "version: 1\ndomains:\n  a.example:\n"
        "    imap: {host: imap.a.example, port: 0}\n    smtp: {host: smtp.a.example}\n"
    )
    broken = run_mailctl("check", "d.yaml", "--format", "json", cwd=tmp_path)
    assert broken.returncode == 1
    document = json.loads(broken.stdout)
    schema("check").validate(document)
    assert document["summary"] == {"errors": 1, "warnings": 0}
    [item] = document["diagnostics"]
    assert (item["file"], item["line"], item["column"]) == ("d.yaml", 4, 40)

    store = tmp_path / "none.db"
    state = ("--state", f"sqlite:///{store}")
    no_store = run_mailctl("history", "--format", "json", *state, cwd=tmp_path)
    assert no_store.returncode == 1
    schema("history").validate(json.loads(no_store.stdout))
    assert no_store.stderr.startswith("mailctl: error: no store at ")
    assert not store.exists()

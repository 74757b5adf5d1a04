"""The installed ``mailctl allowlist`` as a subprocess: exit codes, and what goes to
standard output and what to standard error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run

DOMAINS = (
    "version: 1\nconnection_ips:\n  ranges: [192.0.2.0/28]\ndomains:\n"
    "  a.example:\n    imap: {host: imap.a.example}\n    smtp: {host: smtp.a.example}\n"
    "    use_static_ip_addresses: true\n"
)

pytestmark = pytest.mark.smoke


def test_allowlist_preview_and_an_empty_store(tmp_path: Path, run_mailctl: Run) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    path = tmp_path / "domains.yaml"
    path.write_text(DOMAINS)
    out = tmp_path / "fw"
    preview = run_mailctl(
        "allowlist", str(path), "--from", "desired", "--out", str(out), "--state", state
    )
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.startswith(
        f"Allowlists of 1 static-IP domain (desired state, not applied) in {out}: "
    )
    assert preview.stderr == ""
    assert (out / "a.example.nft").is_file()
    stored = run_mailctl("allowlist", "--out", str(tmp_path / "fw2"), "--state", state)
    assert stored.returncode == 1
    assert stored.stdout == ""
    assert "nothing has been applied there yet" in stored.stderr
    assert not (tmp_path / "fw2").exists()

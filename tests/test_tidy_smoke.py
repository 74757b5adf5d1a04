"""The installed ``mailctl init`` and ``mailctl fmt`` as subprocesses: exit codes and
which stream says what."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run

pytestmark = pytest.mark.smoke


def test_init_then_validate_then_refuse(tmp_path: Path, run_mailctl: Run) -> None:
    made = run_mailctl("init", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout == "Wrote domains.yaml. Edit it, then: mailctl validate domains.yaml\n"
    assert run_mailctl("validate", "domains.yaml", cwd=tmp_path).returncode == 0
    before = (tmp_path / "domains.yaml").read_bytes()
    again = run_mailctl("init", cwd=tmp_path)
    assert again.returncode == 1
    assert "domains.yaml exists" in again.stderr and again.stdout == ""
    assert (tmp_path / "domains.yaml").read_bytes() == before


def test_fmt_check_then_fmt(tmp_path: Path, run_mailctl: Run) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(
        "domains:\n  example.com:  # kept\n"
        "    smtp: {host: smtp.example.com}\n    imap: {host: imap.example.com}\nversion: 1\n"
    )
    checked = run_mailctl("fmt", "--check", str(path))
    assert checked.returncode == 2
    assert checked.stdout == f"{path}: would be reformatted\n"
    assert "version: 1\ndomains:" not in path.read_text()
    done = run_mailctl("fmt", str(path))
    assert done.returncode == 0, done.stderr
    assert path.read_text().startswith("version: 1\ndomains:\n  example.com:  # kept\n    imap:")
    assert run_mailctl("fmt", "--check", str(path)).returncode == 0
    path.write_text("version: 1\ndomains:\n  example.com:\n    imap: {host: imap.example.com}\n")
    refused = run_mailctl("fmt", str(path))
    assert refused.returncode == 1
    assert f"{path}:4:" in refused.stderr or f"{path}:3:" in refused.stderr, refused.stderr

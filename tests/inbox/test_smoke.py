"""The installed ``mailctl inbox`` as a subprocess: exit codes, and what goes to
standard output and what to standard error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_support import offline
from tests.conftest import Run

DOMAINS = (
    "version: 1\ndomains:\n  example.com:\n"
    "    imap: {host: imap.example.com}\n    smtp: {host: smtp.example.com}\n"
)

pytestmark = pytest.mark.smoke


def test_inbox_connect_list_disconnect(tmp_path: Path, run_mailctl: Run) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    path = tmp_path / "domains.yaml"
    path.write_text(DOMAINS)
    assert offline("apply", str(path), "--auto-approve", "--state", state).returncode == 0

    connected = run_mailctl(
        "inbox", "connect", "alice@example.com", "--format", "json", "--state", state
    )
    assert connected.returncode == 0, connected.stderr
    assert json.loads(connected.stdout)["new"] is True
    assert connected.stderr == ""
    listed = run_mailctl("inbox", "list", "--state", state)
    assert listed.returncode == 0
    assert listed.stdout.startswith("alice@example.com  example.com  imap imap.example.com:993")
    assert listed.stderr == "1 inbox.\n"
    refused = run_mailctl("inbox", "connect", "bob@other.example", "--state", state)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.startswith("mailctl: error: cannot connect bob@other.example")
    bad = run_mailctl("inbox", "disconnect", "no-at-sign", "--state", state)
    assert bad.returncode == 1
    assert "address 'no-at-sign' has no @" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_inbox_list_of_an_unconfigured_domain_and_an_idna_address(
    tmp_path: Path, run_mailctl: Run
) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    path = tmp_path / "domains.yaml"
    path.write_text(DOMAINS.replace("example.com", "bücher.example"))
    assert offline("apply", str(path), "--auto-approve", "--state", state).returncode == 0
    assert run_mailctl("inbox", "connect", "bob@bücher.example", "--state", state).returncode == 0
    listed = run_mailctl("inbox", "list", "--state", state)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(
        "bob@xn--bcher-kva.example (bob@bücher.example)  "
        "xn--bcher-kva.example (bücher.example)  imap imap.xn--bcher-kva.example:993"
    ), listed.stdout
    as_json = json.loads(run_mailctl("inbox", "list", "--format", "json", "--state", state).stdout)
    assert as_json["inboxes"][0]["address_unicode"] == "bob@bücher.example"
    missing = run_mailctl("inbox", "list", "--domain", "nothere.test", "--state", state)
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert "domain nothere.test is not configured" in missing.stderr

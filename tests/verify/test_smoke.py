"""The installed ``mailctl inbox verify`` as a subprocess, against a real Dovecot."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.pki import Pki
from tests.conftest import Run
from tests.verify.conftest import Mailservers
from tests.verify.verify_support import ALICE_ENV, DELIVERED, HOST, store_with

pytestmark = pytest.mark.smoke


def test_inbox_verify(tmp_path: Path, pki: Pki, mailservers: Mailservers, run_mailctl: Run) -> None:
    url = store_with(tmp_path, mailservers.good.plain_port, "starttls")
    ran = run_mailctl(
        "inbox", "verify", "alice@test.example", "--state", url, "--allow-private-targets",
        "--ca-file", str(pki.ca_file), "--resolve", f"{HOST}=127.0.0.1",
        "--username-env", "MAIL_LOGIN_USER", "--password-env", "MAIL_LOGIN_PASSWORD",
        env=ALICE_ENV,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("ok   alice@test.example at imap.test.example:")
    assert f"INBOX: {DELIVERED} messages, UIDVALIDITY " in ran.stdout
    assert ALICE_ENV["MAIL_LOGIN_PASSWORD"] not in ran.stdout + ran.stderr

"""``mailctl inbox verify`` and ``inbox connect --verify`` on the command line, in
process: exit codes, the JSON document, and no password in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.checks.pki import Pki
from tests.cli_support import mailctl
from tests.verify.conftest import Mailservers
from tests.verify.verify_support import ALICE_ENV, DELIVERED, HOST, store_with

WRONG = "wrong-horse-battery-0b1d"


def _args(url: str, pki: Pki, *more: str) -> list[str]:
    return [
        "--state", url, "--allow-private-targets", "--ca-file", str(pki.ca_file),
        "--resolve", f"{HOST}=127.0.0.1", "--username-env", "MAIL_LOGIN_USER",
        "--password-env", "MAIL_LOGIN_PASSWORD", *more,
    ]  # fmt: skip


def test_verify_json_and_exit_codes(tmp_path: Path, pki: Pki, mailservers: Mailservers) -> None:
    url = store_with(tmp_path, mailservers.good.tls_port, "ssl")
    ok = mailctl(
        "inbox", "verify", "alice@test.example", *_args(url, pki, "--format", "json"), env=ALICE_ENV
    )
    assert ok.returncode == 0, ok.stderr
    document = json.loads(ok.stdout)
    assert document["format_version"] == 1
    assert document["summary"] == {"verified": 1, "failed": 0}
    assert document["login"] is True and document["problem"] is None
    assert document["mailbox"]["inbox_messages"] == DELIVERED
    assert document["mailbox"]["idle"] is True
    assert "Projects" in document["mailbox"]["folders"]

    bad = mailctl(
        "inbox",
        "verify",
        "alice@test.example",
        *_args(url, pki),
        env={**ALICE_ENV, "MAIL_LOGIN_PASSWORD": WRONG},
    )
    assert bad.returncode == 3
    assert bad.stdout.startswith("FAIL alice@test.example at imap.test.example:")
    assert "authentication failed" in bad.stdout
    assert WRONG not in bad.stdout + bad.stderr


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_missing_variable_exits_1_naming_it(tmp_path: Path, pki: Pki, fmt: str) -> None:
    url = store_with(tmp_path, 993, "ssl")
    ran = mailctl(
        "inbox",
        "verify",
        "alice@test.example",
        *_args(url, pki, "--format", fmt),
        env={"MAIL_LOGIN_USER": "alice"},
    )
    assert ran.returncode == 1
    assert "MAIL_LOGIN_PASSWORD is not set" in ran.stdout + ran.stderr


def test_connect_verify(tmp_path: Path, pki: Pki, mailservers: Mailservers) -> None:
    url = store_with(tmp_path, mailservers.good.tls_port, "ssl", connected=())
    failed = mailctl(
        "inbox",
        "connect",
        "alice@test.example",
        "--verify",
        *_args(url, pki),
        env={**ALICE_ENV, "MAIL_LOGIN_PASSWORD": WRONG},
    )
    assert failed.returncode == 3
    assert "Not connected: the verification failed; nothing was stored." in failed.stdout
    done = mailctl(
        "inbox",
        "connect",
        "alice@test.example",
        "--verify",
        *_args(url, pki, "--format", "json"),
        env=ALICE_ENV,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["connected"]["address"] == "alice@test.example"
    assert document["mailbox"]["inbox_messages"] == DELIVERED

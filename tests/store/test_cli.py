"""The store through the real ``mailctl`` command, on both backends: plan, apply,
history and rollback; a second apply that meets a held lock; a store that is not one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.store.lock_holder import holder, release

DOMAINS = (
    "version: 1\nconnection_ips:\n  ranges: [192.0.2.0/28, 2001:db8:10::/48]\ndomains:\n"
    "  a.example:\n    imap: {host: imap.a.example}\n    smtp: {host: smtp.a.example}\n"
    "    use_static_ip_addresses: true\n"
    "  b.example:\n    imap: {host: imap.b.example}\n    smtp: {host: smtp.b.example}\n"
)


@pytest.mark.smoke
def test_plan_apply_history_rollback(store_url: str, tmp_path: Path, run_offline: Run) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(DOMAINS)
    out = tmp_path / "plan.json"
    plan = run_offline(
        "plan",
        str(path),
        "--state",
        store_url,
        "--out",
        str(out),
        "--detailed-exitcode",
    )
    assert plan.returncode == 2, plan.stderr
    assert (
        run_offline(
            "apply",
            str(out),
            "--state",
            store_url,
            "--actor",
            "ci",
        ).returncode
        == 0
    )
    path.write_text(DOMAINS.replace("imap: {host: imap.b.example}", "imap: {host: mail.b.example}"))
    second = run_offline(
        "apply",
        str(path),
        "--state",
        store_url,
        "--auto-approve",
    )
    assert second.returncode == 0, second.stderr
    printed = run_offline("history", "--state", store_url, "--format", "json").stdout
    history = json.loads(printed)["entries"]
    assert (history[0]["serial"], history[0]["actor"]) == (1, "ci")
    assert history[1]["changes"] == [
        {"action": "update", "domain": "b.example", "fields": ["imap.host"]}
    ]
    rollback = tmp_path / "rollback.json"
    assert (
        run_offline(
            "rollback", "--to", "1", "--state", store_url, "--out", str(rollback)
        ).returncode
        == 0
    )
    assert run_offline("apply", str(rollback), "--state", store_url).returncode == 0
    shown = json.loads(run_offline("show", "--state", store_url, "--format", "json").stdout)
    assert shown["serial"] == 3
    assert shown["domains"]["b.example"]["imap.host"] == "imap.b.example"
    assert shown["connection_ranges"] == ["192.0.2.0/28", "2001:db8:10::/48"]
    path.write_text(DOMAINS)
    again = run_offline("plan", str(path), "--state", store_url, "--detailed-exitcode")
    assert again.returncode == 0, again.stdout


def test_apply_waits_for_the_lock_then_names_the_holder(
    store_url: str, tmp_path: Path, mailctl_offline: Run
) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(DOMAINS)
    out = tmp_path / "plan.json"
    assert (
        mailctl_offline("plan", str(path), "--state", store_url, "--out", str(out)).returncode == 0
    )
    with holder(store_url, "alice@laptop") as alice:
        blocked = mailctl_offline(
            "apply",
            str(out),
            "--state",
            store_url,
            "--lock-timeout",
            "1",
        )
        assert blocked.returncode == 1
        assert f"the store is locked by alice@laptop (pid {alice.pid} on " in blocked.stderr
        assert "raise --lock-timeout to wait longer" in blocked.stderr
        assert "Traceback" not in blocked.stderr
        release(alice)
    applied = mailctl_offline(
        "apply",
        str(out),
        "--state",
        store_url,
        "--lock-timeout",
        "1",
    )
    assert applied.returncode == 0, applied.stderr


def test_a_file_that_is_not_a_store_is_left_alone(tmp_path: Path, mailctl_offline: Run) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(DOMAINS)
    bogus = tmp_path / "state.db"
    bogus.write_bytes(b"this is not a database\n" * 100)
    url = f"sqlite:///{bogus}"
    for args in (["plan", str(path)], ["apply", str(path), "--auto-approve"], ["history"]):
        result = mailctl_offline(*args, "--state", url)
        assert result.returncode == 1, args
        assert "Traceback" not in result.stderr
        assert "mailctl: error:" in result.stderr
    assert bogus.read_bytes() == b"this is not a database\n" * 100


def test_unsupported_store_url_is_a_usage_error(tmp_path: Path, mailctl_offline: Run) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(DOMAINS)
    result = mailctl_offline("plan", str(path), "--state", "mysql://x@y/z")
    assert result.returncode == 1
    assert "sqlite:///" in result.stderr and "postgresql://" in result.stderr


def test_a_password_in_the_store_url_s_query_is_never_printed(run_mailctl: Run) -> None:
    # Port 1 on loopback: nothing listens, so the connection fails at once.
    url = "postgresql://alice@127.0.0.1:1/mailctl?password=s3cret-in-query&sslpassword=k3y"
    result = run_mailctl("show", "--state", url)
    assert result.returncode == 1
    assert "127.0.0.1:1/mailctl" in result.stderr
    assert "s3cret-in-query" not in result.stdout + result.stderr
    assert "k3y" not in result.stdout + result.stderr

"""``mailctl inbox``: connect, list and disconnect through the command line (run
in-process) against a real store (SQLite and PostgreSQL); inboxes inherit their
domain's settings, also after an apply changes the domain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.store.open import open_store
from tests.cli_support import mailctl, offline
from tests.conftest import CORPUS as DATA

DOMAINS = """\
version: 1
domains:
  example.com:
    imap: {host: imap.example.com, port: 993, security: ssl}
    smtp: {host: smtp.example.com, port: 587, security: starttls}
  bücher.example:
    imap: {host: mail.bücher.example}
    smtp: {host: mail.bücher.example}
"""
IDN = "xn--bcher-kva.example"
CORPUS = DATA / "ispdb"  # real ISPDB files


def apply(tmp_path: Path, state: str, text: str, *flags: str) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(text)
    result = offline("apply", str(path), "--auto-approve", "--state", state, *flags)
    assert result.returncode == 0, result.stdout + result.stderr


def listed(state: str, *args: str) -> list[dict[str, Any]]:
    result = mailctl("inbox", "list", "--format", "json", "--state", state, *args)
    assert result.returncode == 0, result.stderr
    records: list[dict[str, Any]] = json.loads(result.stdout)["inboxes"]
    return records


def test_connect_list_disconnect(tmp_path: Path, sqlite_state: str) -> None:
    state = sqlite_state
    apply(tmp_path, state, DOMAINS)
    connected = mailctl("inbox", "connect", "alice@Example.COM.", "--state", state)
    assert connected.returncode == 0, connected.stderr
    assert connected.stdout == (
        "Connected: alice@example.com (domain example.com); it inherits:\n"
        "  IMAP  imap.example.com:993  SSL/TLS\n"
        "  SMTP  smtp.example.com:587  STARTTLS\n"
        "  non-secure (self-signed) certificate: not allowed\n"
        "  static IP addresses: off\n"
    )
    as_json = mailctl(
        "inbox", "connect", "Bob@Bücher.example", "--format", "json", "--state", state
    )
    assert as_json.returncode == 0, as_json.stderr
    record = json.loads(as_json.stdout)
    assert record["address"] == f"Bob@{IDN}"  # local part as given, domain as an A-label
    assert record["domain"] == IDN
    assert record["new"] is True
    assert record["settings"]["imap"] == {"host": f"mail.{IDN}", "port": 993, "security": "ssl"}
    again = mailctl("inbox", "connect", "alice@example.com", "--state", state)
    assert again.returncode == 0
    assert again.stdout.startswith("Already connected: alice@example.com")

    assert [(r["address"], r["domain"]) for r in listed(state)] == [
        (f"Bob@{IDN}", IDN),
        ("alice@example.com", "example.com"),
    ]
    only = listed(state, "--domain", "EXAMPLE.com")
    assert [r["address"] for r in only] == ["alice@example.com"]
    text = mailctl("inbox", "list", "--state", state)
    assert "alice@example.com  example.com  imap imap.example.com:993 ssl" in text.stdout
    assert text.stderr == "2 inboxes.\n"

    # Inboxes are runtime data: they do not bump the serial, so saved plans stay fresh.
    shown = json.loads(mailctl("show", "--format", "json", "--state", state).stdout)
    assert shown["serial"] == 1
    assert shown["domains"]["example.com"]["inboxes"] == 1

    gone = mailctl("inbox", "disconnect", "alice@EXAMPLE.com", "--state", state)
    assert gone.returncode == 0, gone.stderr
    assert gone.stdout == "Disconnected alice@example.com.\n"
    twice = mailctl("inbox", "disconnect", "alice@example.com", "--state", state)
    assert twice.returncode == 1
    assert "no inbox alice@example.com is connected" in twice.stderr
    # The local part is kept as given, so case matters there.
    other_case = mailctl("inbox", "disconnect", f"bob@{IDN}", "--state", state)
    assert other_case.returncode == 1
    assert [r["address"] for r in listed(state)] == [f"Bob@{IDN}"]


def test_inboxes_inherit_a_change_applied_to_their_domain(tmp_path: Path, state: str) -> None:
    apply(tmp_path, state, DOMAINS)
    for address in ("alice@example.com", "bob@example.com"):
        assert mailctl("inbox", "connect", address, "--state", state).returncode == 0
    changed = DOMAINS.replace(
        "imap: {host: imap.example.com, port: 993, security: ssl}",
        "imap: {host: imap2.example.com, port: 143, security: starttls}",
    )
    apply(tmp_path, state, changed, "--allow-downgrade")
    for record in listed(state, "--domain", "example.com"):
        assert record["settings"]["imap"] == {
            "host": "imap2.example.com",
            "port": 143,
            "security": "starttls",
        }
    shown = mailctl("inbox", "connect", "alice@example.com", "--state", state)
    assert "  IMAP  imap2.example.com:143  STARTTLS\n" in shown.stdout

    # Deleting the domain (allowed explicitly) leaves its inboxes with no settings.
    only_idn = "version: 1\ndomains:\n  bücher.example:" + DOMAINS.split("  bücher.example:")[1]
    apply(tmp_path, state, only_idn, "--allow-delete-with-inboxes")
    orphans = listed(state, "--domain", "example.com")
    assert [(r["address"], r["settings"]) for r in orphans] == [
        ("alice@example.com", None),
        ("bob@example.com", None),
    ]
    text = mailctl("inbox", "list", "--state", state)
    assert "alice@example.com  example.com  domain not configured: no settings" in text.stdout


def test_an_unconfigured_domain_is_refused_with_a_suggestion(
    tmp_path: Path, sqlite_state: str
) -> None:
    empty = mailctl("inbox", "connect", "carol@gmail.com", "--state", sqlite_state)
    assert empty.returncode == 1
    assert "domain gmail.com is not configured; the store is empty" in empty.stderr
    apply(tmp_path, sqlite_state, DOMAINS)
    suggested = mailctl(
        "inbox", "connect", "carol@GMail.com", "--state", sqlite_state, "--autoconfig", str(CORPUS)
    )
    assert suggested.returncode == 1
    assert suggested.stdout == ""
    assert (
        "cannot connect carol@gmail.com: domain gmail.com is not configured; it is not among "
        "the 2 domains in"
    ) in suggested.stderr
    assert f"The autoconfig data suggests ({CORPUS / 'googlemail.com.xml'}:4:5" in (
        suggested.stderr
    )
    assert (
        "  gmail.com: # autoconfig: googlemail.com\n"
        "    imap: {host: imap.gmail.com, port: 993, security: ssl}\n"
        "    smtp: {host: smtp.gmail.com, port: 465, security: ssl}\n"
    ) in suggested.stderr
    from_env = mailctl(
        "inbox",
        "connect",
        "dave@mail.ee",
        "--state",
        sqlite_state,
        env={"MAILCTL_AUTOCONFIG": str(CORPUS / "mail.ee.xml")},
    )
    assert from_env.returncode == 1
    assert "    imap: {host: mail.ee, port: 993, security: ssl}\n" in from_env.stderr
    unknown = mailctl(
        "inbox", "connect", "erin@nowhere.example", "--state", sqlite_state,
        "--autoconfig", str(CORPUS),
    )  # fmt: skip
    assert unknown.returncode == 1
    assert f"The autoconfig data ({CORPUS}) does not know nowhere.example." in unknown.stderr
    assert listed(sqlite_state) == []  # nothing was stored


def test_bad_addresses_are_refused_clearly(sqlite_state: str) -> None:
    for address, message in [
        ("alice", "address 'alice' has no @"),
        ("alice smith@example.com", "the local part contains white space"),
        ("alice@example..com", "has an empty label"),
        ("a@b@example.com", "has more than one @"),
    ]:
        result = mailctl("inbox", "connect", address, "--state", sqlite_state)
        assert result.returncode == 1, address
        assert message in result.stderr
        assert "hint:" in result.stderr
        assert "Traceback" not in result.stderr
    nothing = mailctl("inbox", "list", "--state", sqlite_state)
    assert (nothing.returncode, nothing.stdout) == (1, "")  # nothing was stored, not even a store
    assert "nothing has been applied there yet" in nothing.stderr


def test_an_address_held_by_another_domain_is_explained(tmp_path: Path, sqlite_state: str) -> None:
    apply(tmp_path, sqlite_state, DOMAINS)
    # Another tool wrote the store: the address is filed under a different domain.
    store = open_store(sqlite_state)
    try:
        store.connect_inbox("alice@example.com", IDN)
    finally:
        store.close()
    result = mailctl("inbox", "connect", "alice@example.com", "--state", sqlite_state)
    assert result.returncode == 1
    assert (
        f"cannot connect alice@example.com: alice@example.com is already connected, to domain "
        f"{IDN}; disconnect it first (mailctl inbox disconnect alice@example.com)"
    ) in result.stderr


def test_plan_names_the_inboxes_each_change_touches_and_gates_deletion(
    tmp_path: Path, sqlite_state: str
) -> None:
    apply(tmp_path, sqlite_state, DOMAINS)
    for address in ("a@example.com", "b@example.com", "c@example.com", f"d@{IDN}"):
        assert mailctl("inbox", "connect", address, "--state", sqlite_state).returncode == 0
    changed = tmp_path / "changed.yaml"
    changed.write_text(DOMAINS.replace("port: 587, security: starttls", "port: 465, security: ssl"))
    plan = offline(
        "plan", str(changed), "--format", "markdown", "--state", sqlite_state,
        "--detailed-exitcode",
    )  # fmt: skip
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "| inboxes affected | 3 |" in plan.stdout
    assert "<code>example.com</code> · 3 inboxes" in plan.stdout
    assert "- 3 inboxes inherit this change" in plan.stdout

    deleted = tmp_path / "deleted.yaml"
    deleted.write_text(DOMAINS.split("  bücher.example:")[0])
    blocked = offline("plan", str(deleted), "--format", "markdown", "--state", sqlite_state)
    assert blocked.returncode == 4, blocked.stdout + blocked.stderr
    assert f"<b>- delete</b> <code>{IDN}</code> · 1 inbox" in blocked.stdout
    assert "deletes domains with connected inboxes" in blocked.stdout
    refused = offline("apply", str(deleted), "--auto-approve", "--state", sqlite_state)
    assert refused.returncode == 4
    assert "--allow-delete-with-inboxes" in refused.stderr + refused.stdout
    assert mailctl("inbox", "disconnect", f"d@{IDN}", "--state", sqlite_state).returncode == 0
    allowed = offline("plan", str(deleted), "--format", "markdown", "--state", sqlite_state)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "no deleted domain has connected inboxes" in allowed.stdout

"""Bad options and bad stored values are usage or store errors (exit 1, one clear line),
never internal errors.

Run in-process through ``reconciler.cli.main``, the one error boundary of the CLI.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from reconciler.net.resolver import PinProblem, parse_pin
from reconciler.store.base import StoreCorrupt, StoreError, UnknownSerial
from reconciler.store.open import open_store, resolve_url
from tests.cli_support import run_captured as run
from tests.store.requests import domain, request

DOMAINS = """version: 1
domains:
  example.com:
    imap: {host: imap.example.com}
    smtp: {host: 192.0.2.1}
"""


def assert_usage_error(code: int, err: str) -> None:
    assert code == 1, err
    assert "internal error" not in err and "Traceback" not in err


@pytest.fixture
def sqlite_store(tmp_path: Path) -> str:
    """A SQLite store with one apply: example.com."""
    url = f"sqlite:///{tmp_path / 'store' / 'state.db'}"
    store = open_store(url)
    try:
        store.apply(request(store.read(), [domain("example.com")]))
    finally:
        store.close()
    return url


# --- rollback --to ---------------------------------------------------------------


def test_a_serial_beyond_any_store_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], sqlite_store: str
) -> None:
    code, err = run(
        capsys, "rollback", "--no-checks", "--to", "99999999999999999999", "--state", sqlite_store
    )
    assert_usage_error(code, err)
    assert "Invalid value for '--to'" in err


@pytest.mark.parametrize("serial", [2**31, 2**63, 10**20, 0, -1])
def test_the_store_has_no_revision_it_cannot_hold(sqlite_store: str, serial: int) -> None:
    store = open_store(sqlite_store)
    try:
        with pytest.raises(UnknownSerial, match=f"has no revision {serial}"):
            store.revision(serial)
    finally:
        store.close()


# --- --resolve HOST=ADDRESS ----------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["0x7f000001", "127.1", "2130706433", "a,b", "192.0.2.7,192.0.2.8", "127.000.0.1",
     "[127.0.0.1]", "fe80::1%eth0", "[::1", "imap.example.net", ""],
)  # fmt: skip
def test_an_address_that_is_not_one_plain_ip_literal_is_refused(address: str) -> None:
    with pytest.raises(PinProblem):
        parse_pin(f"imap.example.com={address}")


@pytest.mark.parametrize(
    ("value", "pinned"),
    [
        ("imap.example.com=[::1]", ("imap.example.com", "::1")),
        ("IMAP.Example.COM.=2001:DB8::7", ("imap.example.com", "2001:db8::7")),
        ("bücher.example=192.0.2.7", ("xn--bcher-kva.example", "192.0.2.7")),
        ("imap.example.com = 192.0.2.7", ("imap.example.com", "192.0.2.7")),
    ],
)
def test_a_pin_is_normalised_like_the_hosts_it_pins(value: str, pinned: tuple[str, str]) -> None:
    assert parse_pin(value) == pinned


@pytest.mark.parametrize("host", ["192.0.2.1", "[::1]", "bad_host.example", "nodot"])
def test_a_pin_needs_a_host_name(host: str) -> None:
    with pytest.raises(PinProblem):
        parse_pin(f"{host}=192.0.2.7")


@pytest.mark.parametrize(
    "pin", ["imap.example.com=0x7f000001", "imap.example.com=127.1", "imap.example.com=a,b"]
)
def test_a_bad_pin_is_a_usage_error_before_anything_is_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pin: str
) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DOMAINS)
    code, err = run(capsys, "check", "--resolve", pin, str(path))
    assert_usage_error(code, err)
    assert "Invalid value for '--resolve'" in err


# --- --state URLs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://u:Pw-9x7@127.0.0.1:99999/db", "port 99999; a port is 1-65535"),
        ("postgresql://u:Pw-9x7@127.0.0.1:0/db", "port 0; a port is 1-65535"),
        ("postgresql://u:Pw-9x7@127.0.0.1:abc/db", "not a valid URL"),
        ("postgresql://u:Pw-9x7@[::1/db", "not a valid URL"),
        ("postgresql://u:Pw-9x7@[::1:5432/db", "not a valid URL"),
        ("sqlite:///%00state.db", "the database of the store URL holds a control character"),
        ("postgresql://u:Pw-9x7@127.0.0.1/d%00b", "the database of the store URL holds a control"),
        ("postgresql://u:Pw%009x7@127.0.0.1/db", "the password of the store URL holds a control"),
        ("postgresql://u:Pw-9x7@127.0.0.1/db?host=%00", "the option host of the store URL holds"),
    ],
)
def test_a_store_url_mailctl_cannot_use_is_a_located_store_error(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    says: str,
) -> None:
    with pytest.raises(StoreError, match="^--state: .*" + says):
        resolve_url(url, {}, tmp_path)
    with pytest.raises(StoreError, match="^MAILCTL_STATE: .*" + says):
        resolve_url(None, {"MAILCTL_STATE": url}, tmp_path)
    code, err = run(capsys, "show", "--state", url)
    assert_usage_error(code, err)
    assert says in err and "Pw" not in err
    monkeypatch.setenv("MAILCTL_STATE", url)
    code, err = run(capsys, "history")
    assert_usage_error(code, err)
    assert "MAILCTL_STATE: " in err and "Pw" not in err


# --- a store row mailctl never wrote ---------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("imap_port", 0, "imap.port 0, which is no port"),
        ("smtp_port", 70000, "smtp.port 70000, which is no port"),
        ("imap_port", "x", "imap.port 'x', which is no port"),
        ("smtp_security", "x", "smtp.security 'x', which is none of none, ssl, starttls"),
        ("credentials_password_env", "A B", "credentials.password_env"),
    ],
)
def test_a_row_edited_to_an_impossible_value_is_a_store_error(
    capsys: pytest.CaptureFixture[str], sqlite_store: str, column: str, value: Any, says: str
) -> None:
    path = sqlite_store.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE domains SET {column} = ?, credentials_username_env = 'U'", (value,))
    db.close()
    store = open_store(sqlite_store)
    try:
        with pytest.raises(StoreCorrupt, match="domains table of sqlite:///") as caught:
            store.read()
        assert says in str(caught.value)
    finally:
        store.close()
    for command in ("show", "export"):
        code, err = run(capsys, command, "--state", sqlite_store)
        assert_usage_error(code, err)
        assert says in err

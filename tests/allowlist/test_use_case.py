"""The allowlist use case called directly: the stored allowlist or a preview of a
domains file, written into the folder; what the writer did comes back as a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.allowlist.formats import FORMATS
from reconciler.app import allowlist
from reconciler.errors import MailctlError
from tests.app_support import seeded
from tests.store.requests import domain

TXT = (FORMATS["txt"],)


def test_the_stored_allowlist_is_written_and_described(tmp_path: Path) -> None:
    url = seeded(
        tmp_path, [domain("a.example", static=True), domain("b.example")], ["192.0.2.0/28"]
    )
    out = tmp_path / "fw"
    done = allowlist.write_allowlists(allowlist.AllowlistOptions(out, TXT, state_url=url))
    assert [rule.domain for rule in done.allowlist.domains] == ["a.example"]
    assert done.allowlist.origin.kind == "stored"
    assert done.changes == "2 written, 0 unchanged, 0 removed"  # a.example.txt, all.txt
    assert "192.0.2.0/28" in (out / "a.example.txt").read_text()
    again = allowlist.write_allowlists(allowlist.AllowlistOptions(out, TXT, state_url=url))
    assert again.changes == "0 written, 2 unchanged, 0 removed"


def test_a_preview_reads_the_domains_file_and_names_the_store(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("a.example")])
    path = tmp_path / "domains.yaml"
    path.write_text(
        "version: 1\nconnection_ips:\n  ranges: [198.51.100.0/24]\ndomains:\n"
        "  c.example:\n    imap: {host: imap.c.example}\n    smtp: {host: smtp.c.example}\n"
        "    use_static_ip_addresses: true\n"
    )
    options = allowlist.AllowlistOptions(
        tmp_path / "fw", TXT, origin="desired", path=path, state_url=url
    )
    done = allowlist.write_allowlists(options)
    assert (done.allowlist.origin.kind, done.allowlist.origin.serial) == ("desired", 1)
    assert "198.51.100.0/24" in (tmp_path / "fw" / "c.example.txt").read_text()


def test_an_empty_store_has_no_allowlist_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "fw"
    options = allowlist.AllowlistOptions(out, TXT, state_url=f"sqlite:///{tmp_path / 'e.db'}")
    with pytest.raises(MailctlError, match="nothing has been applied there yet; check --state"):
        allowlist.write_allowlists(options)
    assert not out.exists()

"""Thunderbird autoconfig, in process, on SQLite and PostgreSQL: the exact bytes of
``mailctl autoconfig export``, found by address or by Host, the same for every address
of a domain, and nothing echoed for an unknown one."""

from __future__ import annotations

from pathlib import Path

from reconciler.app.autoconfig import ExportOptions, export
from tests.serve.client_support import get_all

WELL_KNOWN = "/.well-known/autoconfig/mail/config-v1.1.xml"


def exported(url: str, folder: Path, domain: str) -> bytes:
    export(ExportOptions(out=folder, state_url=url))
    return (folder / "www" / domain / "mail" / "config-v1.1.xml").read_bytes()


def test_the_served_bytes_are_the_exported_ones(store_url: str, tmp_path: Path) -> None:
    answers = get_all(
        store_url,
        "/mail/config-v1.1.xml?emailaddress=alice@example.com",
        "/mail/config-v1.1.xml?emailaddress=nobody-at-all@EXAMPLE.com",
        f"{WELL_KNOWN}?emailaddress=bob@example.com",
    )
    (by_host,) = get_all(store_url, "/mail/config-v1.1.xml", host="autoconfig.example.com:443")
    (bare_host,) = get_all(store_url, WELL_KNOWN, host="Example.com")
    expected = exported(store_url, tmp_path / "out", "example.com")
    for answer in (*answers, by_host, bare_host):
        assert answer.status_code == 200
        assert answer.content == expected
        assert answer.headers["content-type"] == "application/xml"
        assert answer.headers["etag"].endswith('-1.xml"')
    # An unknown local part is answered exactly like a known one: no enumeration.
    assert len({a.headers["etag"] for a in (*answers, by_host, bare_host)}) == 1


def test_an_international_domain_by_its_unicode_name(store_url: str, tmp_path: Path) -> None:
    (answer,) = get_all(store_url, "/mail/config-v1.1.xml?emailaddress=anna@bücher.example")
    assert answer.content == exported(store_url, tmp_path / "out", "xn--bcher-kva.example")


def test_unknown_domains_and_bad_addresses_are_refused_without_echo(store_url: str) -> None:
    hostile = "<b>x</b>"
    answers = get_all(
        store_url,
        "/mail/config-v1.1.xml?emailaddress=alice@unknown.example",
        f"/mail/config-v1.1.xml?emailaddress={hostile}",
        "/mail/config-v1.1.xml?emailaddress=",
    )
    (no_host,) = get_all(store_url, WELL_KNOWN, host="autoconfig.unknown.example")
    (bad_host,) = get_all(store_url, WELL_KNOWN, host="<b>x")
    assert [a.status_code for a in (*answers, no_host, bad_host)] == [404, 400, 400, 404, 404]
    for answer in (*answers, no_host, bad_host):
        assert answer.headers["content-type"] == "application/json"
        assert "unknown" not in answer.text and "<b>" not in answer.text

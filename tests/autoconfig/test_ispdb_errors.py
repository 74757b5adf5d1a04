"""Bad and hostile autoconfig XML: every problem is an error naming file:line:column,
the command exits 1 and writes nothing; providers that cannot give a domain are
skipped with the reason."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from reconciler.autoconfig import ispdb
from reconciler.errors import InputError
from tests.autoconfig.xml_support import provider_xml
from tests.cli_support import mailctl


def errors_of(tmp_path: Path, text: str | bytes) -> list[str]:
    path = tmp_path / "p.xml"
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    with pytest.raises(InputError) as caught:
        ispdb.read_sources([path])
    return [str(d) for d in caught.value.diagnostics]


def test_a_good_file_reads(tmp_path: Path) -> None:
    path = tmp_path / "p.xml"
    path.write_text(provider_xml(domains=("example.net", "Example.ORG", "bücher.example")))
    result = ispdb.read_sources([path])
    assert [e.domain for e in result.entries] == [
        "example.net",
        "example.org",
        "xn--bcher-kva.example",
    ]
    entry = result.entries[0]
    assert (entry.imap.host, entry.imap.port, entry.imap.security) == (
        "imap.example.net",
        993,
        "ssl",
    )
    assert (entry.smtp.host, entry.smtp.port, entry.smtp.security) == (
        "smtp.example.net",
        587,
        "starttls",
    )
    assert str(entry.location) == f"{path}:4:5"


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (
            "<clientConfig>\n  <emailProvider>\n</clientConfig>\n",
            ":3:3: error: malformed XML: mismatched tag",
        ),
        ("", ":1:1: error: malformed XML: no element found"),
        ("<html><body/></html>", ":1:1: error: the root element is <html>, not <clientConfig>"),
        (
            provider_xml(imap_port="99999"),
            ":7:7: error: port '99999' is not a number from 1 to 65535",
        ),
        (provider_xml(imap_port="imap"), ":7:7: error: port 'imap' is not a number"),
        (
            provider_xml(imap_socket="TLS"),
            ":8:7: error: socketType 'TLS' is not one of SSL, STARTTLS, plain",
        ),
        (
            provider_xml(imap_host="imap_1.example.net"),
            ":6:7: error: host name 'imap_1.example.net' has an invalid label",
        ),
        (
            provider_xml(imap_host="%EMAILLOCALPART%.example.net"),
            ":6:7: error: host name '%EMAILLOCALPART%.example.net' uses %EMAILLOCALPART%",
        ),
        (
            provider_xml(domains=("localhost",)),
            ":4:5: error: domain name 'localhost' is not fully qualified",
        ),
    ],
)
def test_errors_name_file_line_and_column(tmp_path: Path, xml: str, expected: str) -> None:
    found = errors_of(tmp_path, xml)
    assert any(expected in line for line in found), found
    assert all(line.startswith(str(tmp_path / "p.xml")) for line in found)


def test_every_error_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(provider_xml(imap_port="0"))
    (tmp_path / "b.xml").write_text("<clientConfig>")
    with pytest.raises(InputError) as caught:
        ispdb.read_sources([tmp_path])
    files = sorted(Path(d.location.file).name for d in caught.value.diagnostics)
    assert files == ["a.xml", "b.xml"]


def test_email_domain_placeholder_resolves_per_domain(tmp_path: Path) -> None:
    path = tmp_path / "p.xml"
    path.write_text(
        provider_xml(domains=("one.example", "two.example"), imap_host="mail.%EMAILDOMAIN%")
    )
    hosts = {e.domain: e.imap.host for e in ispdb.read_sources([path]).entries}
    assert hosts == {"one.example": "mail.one.example", "two.example": "mail.two.example"}


def test_a_document_type_declaration_is_refused_before_any_entity_expands(
    tmp_path: Path,
) -> None:
    laughs = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE clientConfig [\n'
        + "\n".join(laughs)
        + "\n]>\n<clientConfig><emailProvider><domain>&lol9;</domain>"
        + "</emailProvider></clientConfig>\n"
    )
    started = time.perf_counter()
    found = errors_of(tmp_path, bomb)
    assert time.perf_counter() - started < 1
    # expat reports the declaration where it has read its name, on line 2
    assert re.search(r"p\.xml:2:\d+: error: a document type declaration \(<!DOCTYPE …>\)", found[0])
    external = '<?xml version="1.0"?>\n<!DOCTYPE c SYSTEM "file:///etc/passwd">\n<c/>\n'
    assert "document type declaration" in errors_of(tmp_path, external)[0]


def test_oversized_files_are_refused_unread(tmp_path: Path) -> None:
    found = errors_of(tmp_path, b"<clientConfig>" + b" " * (5 * 1024 * 1024) + b"</clientConfig>")
    assert "autoconfig files over 4,194,304 bytes are refused" in found[0]


def test_providers_without_imap_or_smtp_are_skipped_with_the_reason(tmp_path: Path) -> None:
    pop_only = provider_xml().replace('type="imap"', 'type="pop3"')
    no_smtp = provider_xml(domains=("other.example",)).replace('type="smtp"', 'type="ews"')
    (tmp_path / "a.xml").write_text(pop_only)
    (tmp_path / "b.xml").write_text(no_smtp)
    result = ispdb.read_sources([tmp_path])
    assert result.entries == ()
    reasons = [s.reason for s in result.skipped]
    assert reasons == [
        "no IMAP server (it offers pop3)",
        "no SMTP server; a domain needs IMAP and SMTP",
    ]


def test_a_domain_listed_twice_keeps_the_first_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(provider_xml())
    (tmp_path / "b.xml").write_text(provider_xml(imap_host="other.example.net"))
    result = ispdb.read_sources([tmp_path])
    assert [e.imap.host for e in result.entries] == ["imap.example.net"]
    (skipped,) = result.skipped
    assert skipped.reason.startswith(f"example.net is already listed at {tmp_path / 'a.xml'}:4:5")


def test_cli_reports_errors_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(provider_xml(imap_port="x"))
    good = tmp_path / "good.xml"
    good.write_text(provider_xml(domains=("good.example",)))
    out = tmp_path / "domains.yaml"
    result = mailctl("import", "autoconfig", str(good), str(bad), "--out", str(out))
    assert result.returncode == 1
    assert f"{bad}:7:7: error: port 'x' is not a number from 1 to 65535" in result.stderr
    assert result.stdout == ""
    assert not out.exists()
    missing = mailctl("import", "autoconfig", str(tmp_path / "nope.xml"))
    assert missing.returncode == 1
    assert "nope.xml: error: no such file or folder" in missing.stderr

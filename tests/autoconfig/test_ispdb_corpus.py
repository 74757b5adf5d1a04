"""Import every file of the real ISPDB sample and compare each domain with an
independent reading of the same XML (the standard library's ElementTree, not mailctl's
reader), then round-trip: import -> export -> import gives the same entries."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli_support import mailctl
from tests.conftest import CORPUS as SHARED_CORPUS

CORPUS = SHARED_CORPUS / "ispdb"
SECURITY = {"SSL": "ssl", "STARTTLS": "starttls", "plain": "none"}


def _server(provider: ET.Element, tag: str, kind: str) -> ET.Element | None:
    return next((s for s in provider.findall(tag) if s.get("type") == kind), None)


def _endpoint(server: ET.Element, domain: str) -> dict[str, Any]:
    hostname = (server.findtext("hostname") or "").strip()
    return {
        "host": hostname.replace("%EMAILDOMAIN%", domain).lower(),
        "port": int((server.findtext("port") or "").strip()),
        "security": SECURITY[(server.findtext("socketType") or "").strip()],
    }


def expected_from_corpus() -> tuple[dict[str, dict[str, Any]], set[str], int]:
    """domain -> {imap, smtp}; the ids of providers without IMAP; the number of files."""
    entries: dict[str, dict[str, Any]] = {}
    without_imap: set[str] = set()
    files = sorted(CORPUS.glob("*.xml"))
    for file in files:
        for provider in ET.parse(file).getroot().findall("emailProvider"):
            imap = _server(provider, "incomingServer", "imap")
            smtp = _server(provider, "outgoingServer", "smtp")
            if imap is None:
                without_imap.add(provider.get("id", ""))
                continue
            assert smtp is not None, f"{file}: the sample has an IMAP provider without SMTP"
            for element in provider.findall("domain"):
                domain = (element.text or "").strip().lower()
                assert domain not in entries, f"{domain} twice in the sample"
                entries[domain] = {
                    "imap": _endpoint(imap, domain),
                    "smtp": _endpoint(smtp, domain),
                }
    return entries, without_imap, len(files)


def imported(path: Path) -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(path.read_text())
    assert document["version"] == 1
    return {str(name): dict(spec) for name, spec in document["domains"].items()}


def skipped_providers(stderr: str) -> set[str]:
    return set(re.findall(r": skipped: (\S+): no IMAP server", stderr))


@pytest.fixture(scope="module")
def expectation() -> tuple[dict[str, dict[str, Any]], set[str], int]:
    if not CORPUS.is_dir():
        pytest.fail(f"the ISPDB corpus is missing: {CORPUS}", pytrace=False)
    return expected_from_corpus()


def test_the_sample_is_what_its_readme_says(
    expectation: tuple[dict[str, dict[str, Any]], set[str], int],
) -> None:
    entries, without_imap, files = expectation
    assert files == 49
    # Sanity of the independent reading itself: the edge cases named in the README.
    assert entries["mail.ee"]["imap"]["host"] == "mail.ee"  # %EMAILDOMAIN%
    assert entries["so.wind.ne.jp"]["imap"]["security"] == "none"  # plain
    assert entries["cloudeu.xion.oxcs.net"]["imap"]["port"] == 993  # first of two IMAP servers
    assert "rediffmail.com" in without_imap and "office365.com" not in without_imap


def test_every_domain_of_the_corpus_is_imported_as_the_xml_says(
    tmp_path: Path,
    expectation: tuple[dict[str, dict[str, Any]], set[str], int],
) -> None:
    entries, without_imap, files = expectation
    out = tmp_path / "domains.yaml"
    result = mailctl("import", "autoconfig", str(CORPUS), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"Imported {len(entries)} domains from {files} files" in result.stderr
    got = imported(out)
    assert sorted(got) == sorted(entries)
    for domain, expected in entries.items():
        assert got[domain] == expected, domain
    assert skipped_providers(result.stderr) == without_imap
    validated = mailctl("validate", str(out))
    assert validated.returncode == 0, validated.stderr
    assert f"valid: {len(entries)} domains" in validated.stdout


def test_import_export_import_gives_the_same_entries(
    tmp_path: Path,
    expectation: tuple[dict[str, dict[str, Any]], set[str], int],
) -> None:
    entries, _, _ = expectation
    first = tmp_path / "first.yaml"
    assert mailctl("import", "autoconfig", str(CORPUS), "--out", str(first)).returncode == 0
    public = tmp_path / "public"
    exported = mailctl(
        "autoconfig", "export", str(first), "--from", "desired", "--out", str(public)
    )
    assert exported.returncode == 0, exported.stderr
    # Every exported file parses, independently, as a clientConfig 1.1 of its domain.
    files = sorted(public.rglob("config-v1.1.xml"))
    assert len(files) == 2 * len(entries)
    for file in files:
        root = ET.parse(file).getroot()
        assert root.tag == "clientConfig" and root.get("version") == "1.1"
        domain = file.relative_to(public / "www").parts[0]
        provider = root.find("emailProvider")
        assert provider is not None
        assert [d.text for d in provider.findall("domain")] == [domain]
        imap = _server(provider, "incomingServer", "imap")
        smtp = _server(provider, "outgoingServer", "smtp")
        assert imap is not None and smtp is not None
        assert _endpoint(imap, domain) == entries[domain]["imap"]
        assert _endpoint(smtp, domain) == entries[domain]["smtp"]
        assert imap.findtext("username") == "%EMAILADDRESS%"
    second = tmp_path / "second.yaml"
    again = mailctl("import", "autoconfig", str(public), "--out", str(second))
    assert again.returncode == 0, again.stderr
    assert "skipped" not in again.stderr.replace("0 skipped", "")  # .well-known not read twice
    assert imported(second) == imported(first) == entries

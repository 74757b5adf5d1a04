"""``mailctl import autoconfig --out FILE`` merges into an existing domains file without
disturbing it: comments, order, style and indentation stay; existing domains are kept
unless --replace."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.autoconfig.xml_support import provider_xml
from tests.cli_support import mailctl

EXISTING = """\
# Our mail domains. Reviewed by the platform team.
version: 1
defaults:
    imap: {port: 993, security: ssl}   # everyone does implicit TLS
    smtp: {port: 587, security: starttls}
domains:
    # the main brand
    zeta.example:
        imap: {host: imap.zeta.example}
        smtp: {host: smtp.zeta.example}
    Example.NET.:   # written as the customer spelled it
        imap: {host: old-imap.example.net}
        smtp: {host: old-smtp.example.net}
        use_static_ip_addresses: false
# end of file
"""


def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "xml"
    folder.mkdir(exist_ok=True)
    (folder / "net.xml").write_text(provider_xml(domains=("example.net", "alpha.example")))
    return folder


def test_merge_keeps_comments_order_and_indentation(tmp_path: Path) -> None:
    out = tmp_path / "domains.yaml"
    out.write_text(EXISTING)
    result = mailctl("import", "autoconfig", str(sources(tmp_path)), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"{out}: skipped: example.net is already there (--replace replaces it)" in (
        result.stderr
    )
    assert "1 added, 0 replaced, 1 already there" in result.stderr
    text = out.read_text()
    # Everything that was there is still there, byte for byte, in the same order...
    head = EXISTING.partition("# end of file\n")[0]
    assert text.startswith(head)
    assert text.endswith("# end of file\n")
    # ...and the new domain follows the existing ones, in the file's indentation.
    added = text[len(head) :].removesuffix("# end of file\n")
    assert added == (
        "    alpha.example: # autoconfig: example.net\n"
        "        imap: {host: imap.example.net, port: 993, security: ssl}\n"
        "        smtp: {host: smtp.example.net, port: 587, security: starttls}\n"
    )
    validated = mailctl("validate", str(out))
    assert validated.returncode == 0, validated.stderr
    assert "valid: 3 domains" in validated.stdout


def test_replace_swaps_servers_in_place_and_keeps_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "domains.yaml"
    out.write_text(EXISTING)
    result = mailctl("import", "autoconfig", str(sources(tmp_path)), "--out", str(out), "--replace")
    assert result.returncode == 0, result.stderr
    assert "1 added, 1 replaced, 0 already there" in result.stderr
    text = out.read_text()
    assert "    Example.NET.:   # written as the customer spelled it\n" in text
    assert "        imap: {host: imap.example.net, port: 993, security: ssl}\n" in text
    assert "old-imap" not in text
    document = yaml.safe_load(text)
    assert list(document["domains"]) == ["zeta.example", "Example.NET.", "alpha.example"]
    assert document["domains"]["Example.NET."]["use_static_ip_addresses"] is False
    assert mailctl("validate", str(out)).returncode == 0


def test_importing_again_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "domains.yaml"
    folder = sources(tmp_path)
    assert mailctl("import", "autoconfig", str(folder), "--out", str(out)).returncode == 0
    before = (out.read_bytes(), out.stat().st_mtime_ns)
    again = mailctl("import", "autoconfig", str(folder), "--out", str(out))
    assert again.returncode == 0
    assert "0 added, 0 replaced, 2 already there" in again.stderr
    assert (out.read_bytes(), out.stat().st_mtime_ns) == before


def test_without_out_prints_a_complete_valid_file(tmp_path: Path) -> None:
    result = mailctl("import", "autoconfig", str(sources(tmp_path)))
    assert result.returncode == 0, result.stderr
    printed = tmp_path / "printed.yaml"
    printed.write_text(result.stdout)
    assert result.stdout.startswith("# yaml-language-server: $schema=")
    assert yaml.safe_load(result.stdout)["domains"]["alpha.example"]["smtp"] == {
        "host": "smtp.example.net",
        "port": 587,
        "security": "starttls",
    }
    assert mailctl("validate", str(printed)).returncode == 0


def test_a_file_that_cannot_be_merged_into_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "domains.yaml"
    broken = "version: 1\ndomains:\n  a.example: {imap: {host: x.example}\n"
    out.write_text(broken)
    result = mailctl("import", "autoconfig", str(sources(tmp_path)), "--out", str(out))
    assert result.returncode == 1
    assert f"{out}:4:1: error: cannot merge into this file" in result.stderr
    assert out.read_text() == broken
    out.write_text("- just\n- a list\n")
    listed = mailctl("import", "autoconfig", str(sources(tmp_path)), "--out", str(out))
    assert listed.returncode == 1
    assert "it is not a mapping with version and domains" in listed.stderr
    duplicate = "version: 1\ndomains:\n  a.example: {}\n  a.example: {}\n"
    out.write_text(duplicate)
    twice = mailctl("import", "autoconfig", str(sources(tmp_path)), "--out", str(out))
    assert twice.returncode == 1
    assert f"{out}:4:3: error: cannot merge into this file" in twice.stderr
    assert out.read_text() == duplicate


def test_a_new_file_reads_back_and_matches_what_a_merge_writes() -> None:
    from reconciler.autoconfig.ispdb import Entry
    from reconciler.autoconfig.merge import merge, render_new
    from reconciler.desired.model import Endpoint
    from reconciler.errors import Location

    v6 = Endpoint(host="2001:db8::25", port=993, security="ssl")
    v4 = Endpoint(host="192.0.2.25", port=587, security="starttls")
    entries = [
        Entry("xn--bcher-kva.example", v6, v4, "Bücher\n  provider", Location("a.xml", 3, 5)),
        Entry("126.com", v4, v6, "126", Location("b.xml", 3, 5)),
    ]
    text = render_new(entries)
    assert "  xn--bcher-kva.example: # autoconfig: Bücher provider\n" in text
    assert '    imap: {host: "2001:db8::25", port: 993, security: ssl}\n' in text
    document = yaml.safe_load(text)
    assert list(document["domains"]) == ["126.com", "xn--bcher-kva.example"]
    assert document["domains"]["126.com"]["imap"] == {
        "host": "192.0.2.25",
        "port": 587,
        "security": "starttls",
    }
    # IP literals are quoted (YAML 1.1 readers trip over colons in flow scalars); names
    # are written exactly as a merge through ruamel.yaml writes them.
    merged = merge("version: 1\ndomains:\n", "d.yaml", entries).text
    assert yaml.safe_load(merged) == document
    named = [
        Entry(
            e.domain,
            Endpoint(host=f"mail.{e.domain}", port=1, security="none"),
            Endpoint(host="smtp.example", port=2, security="ssl"),
            e.provider,
            e.location,
        )
        for e in entries
    ]
    merged = merge("version: 1\ndomains:\n", "d.yaml", named).text
    assert merged.partition("domains:\n")[2] == render_new(named).partition("domains:\n")[2]
    assert render_new([]).endswith("version: 1\ndomains: {}\n")


def test_a_number_shaped_host_is_quoted_in_a_new_file() -> None:
    from reconciler.autoconfig.ispdb import Entry
    from reconciler.autoconfig.merge import render_new
    from reconciler.desired.model import Endpoint
    from reconciler.errors import Location

    host = Endpoint(host="1.5e3", port=993, security="ssl")
    text = render_new([Entry("example.com", host, host, "p", Location("a.xml", 3, 5))])
    assert yaml.safe_load(text)["domains"]["example.com"]["imap"]["host"] == "1.5e3"

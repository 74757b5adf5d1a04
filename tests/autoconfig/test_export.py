"""``mailctl autoconfig export``: the layout, the XML and SRV contents, byte stability,
writing only what changed and removing only what it wrote."""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reconciler.autoconfig import srv, xml_out
from reconciler.desired.model import Domain, Endpoint
from tests.cli_support import mailctl, offline

DOMAINS = """\
version: 1
domains:
  example.com:
    imap: {host: imap.example.com, port: 993, security: ssl}
    smtp: {host: smtp.example.com, port: 465, security: ssl}
  legacy.example.org:
    imap: {host: mail.legacy.example.org, port: 143, security: starttls}
    smtp: {host: mail.legacy.example.org, port: 587, security: starttls}
  bücher.example:
    imap: {host: 192.0.2.10, port: 143, security: none}
    smtp: {host: smtp.bücher.example, port: 587, security: none}
"""
IDN = "xn--bcher-kva.example"


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime (ns), a lock file left by an older mailctl aside."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".mailctl-autoconfig.lock"
    }


@pytest.fixture
def desired(tmp_path: Path) -> Path:
    path = tmp_path / "domains.yaml"
    path.write_text(DOMAINS)
    return path


def export(desired: Path, out: Path) -> str:
    result = mailctl("autoconfig", "export", str(desired), "--from", "desired", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_layout_is_what_a_web_server_and_a_zone_serve(tmp_path: Path, desired: Path) -> None:
    out = tmp_path / "public"
    assert "3 domains: wrote 10 files, 0 unchanged, removed 0." in export(desired, out)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    expected = [".mailctl-autoconfig.manifest", "srv-records.zone"]
    for name in ("example.com", "legacy.example.org", IDN):
        expected += [
            f"www/{name}/mail/config-v1.1.xml",
            f"www/{name}/.well-known/autoconfig/mail/config-v1.1.xml",
            f"dns/{name}.zone",
        ]
    assert files == sorted(expected)
    for name in ("example.com", IDN):
        served = out / "www" / name / "mail" / "config-v1.1.xml"
        well_known = out / "www" / name / ".well-known" / "autoconfig" / "mail" / "config-v1.1.xml"
        assert served.read_bytes() == well_known.read_bytes()
        mode = stat.S_IMODE(served.stat().st_mode)
        assert mode & 0o044 == 0o044, oct(mode)  # a web server (another user) can read it


def test_xml_is_client_config_1_1_with_each_socket_type(tmp_path: Path, desired: Path) -> None:
    out = tmp_path / "public"
    export(desired, out)

    def servers(name: str) -> list[tuple[str | None, ...]]:
        root = ET.parse(out / "www" / name / "mail" / "config-v1.1.xml").getroot()
        assert (root.tag, root.get("version")) == ("clientConfig", "1.1")
        provider = root.find("emailProvider")
        assert provider is not None and provider.get("id") == name
        assert [d.text for d in provider.findall("domain")] == [name]
        return [
            (
                server.tag,
                server.get("type"),
                server.findtext("hostname"),
                server.findtext("port"),
                server.findtext("socketType"),
                server.findtext("username"),
                server.findtext("authentication"),
            )
            for server in provider
            if server.tag in ("incomingServer", "outgoingServer")
        ]

    auth = ("%EMAILADDRESS%", "password-cleartext")
    assert servers("example.com") == [
        ("incomingServer", "imap", "imap.example.com", "993", "SSL", *auth),
        ("outgoingServer", "smtp", "smtp.example.com", "465", "SSL", *auth),
    ]
    assert servers("legacy.example.org") == [
        ("incomingServer", "imap", "mail.legacy.example.org", "143", "STARTTLS", *auth),
        ("outgoingServer", "smtp", "mail.legacy.example.org", "587", "STARTTLS", *auth),
    ]
    assert servers(IDN) == [
        ("incomingServer", "imap", "192.0.2.10", "143", "plain", *auth),
        ("outgoingServer", "smtp", f"smtp.{IDN}", "587", "plain", *auth),
    ]
    shown = ET.parse(out / "www" / IDN / "mail" / "config-v1.1.xml").findtext(
        "emailProvider/displayName"
    )
    assert shown == "bücher.example"


def test_srv_records_publish_one_way_and_refuse_the_other(tmp_path: Path, desired: Path) -> None:
    out = tmp_path / "public"
    export(desired, out)
    assert (out / "dns" / "example.com.zone").read_text() == (
        "; RFC 6186 / RFC 8314 SRV records for example.com\n"
        "_imaps._tcp.example.com. 3600 IN SRV 0 1 993 imap.example.com.\n"
        "_imap._tcp.example.com. 3600 IN SRV 0 0 0 .\n"
        "_submissions._tcp.example.com. 3600 IN SRV 0 1 465 smtp.example.com.\n"
        "_submission._tcp.example.com. 3600 IN SRV 0 0 0 .\n"
    )
    legacy = (out / "dns" / "legacy.example.org.zone").read_text().splitlines()
    assert legacy[1:] == [
        "_imap._tcp.legacy.example.org. 3600 IN SRV 0 1 143 mail.legacy.example.org.",
        "_imaps._tcp.legacy.example.org. 3600 IN SRV 0 0 0 .",
        "_submission._tcp.legacy.example.org. 3600 IN SRV 0 1 587 mail.legacy.example.org.",
        "_submissions._tcp.legacy.example.org. 3600 IN SRV 0 0 0 .",
    ]
    idn = (out / "dns" / f"{IDN}.zone").read_text().splitlines()
    assert idn[1:] == [
        f"; imap host 192.0.2.10 is an IP address: an SRV target must be a host name, so "
        f"_imap._tcp.{IDN}. is not published",
        f"_imaps._tcp.{IDN}. 3600 IN SRV 0 0 0 .",
        f"; smtp on smtp.{IDN}:587 is NOT encrypted",
        f"_submission._tcp.{IDN}. 3600 IN SRV 0 1 587 smtp.{IDN}.",
        f"_submissions._tcp.{IDN}. 3600 IN SRV 0 0 0 .",
    ]
    combined = (out / "srv-records.zone").read_text()
    assert combined == "\n".join(
        (out / "dns" / f"{name}.zone").read_text()
        for name in ("example.com", "legacy.example.org", IDN)
    )


def test_ttl_option(tmp_path: Path, desired: Path) -> None:
    out = tmp_path / "public"
    result = mailctl(
        "autoconfig", "export", str(desired), "--from", "desired", "--out", str(out),
        "--ttl", "300",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "_imaps._tcp.example.com. 300 IN SRV" in (out / "srv-records.zone").read_text()


def test_unchanged_files_are_not_rewritten_and_changes_touch_only_their_files(
    tmp_path: Path, desired: Path
) -> None:
    out = tmp_path / "public"
    export(desired, out)
    before = snapshot(out)
    assert "wrote 0 files, 10 unchanged, removed 0." in export(desired, out)
    assert snapshot(out) == before  # same bytes and the same mtimes

    desired.write_text(DOMAINS.replace("port: 465, security: ssl", "port: 587, security: starttls"))
    assert "wrote 4 files, 6 unchanged" in export(desired, out)
    after = snapshot(out)
    changed = sorted(name for name in after if after[name] != before[name])
    assert changed == [
        "dns/example.com.zone",
        "srv-records.zone",
        "www/example.com/.well-known/autoconfig/mail/config-v1.1.xml",
        "www/example.com/mail/config-v1.1.xml",
    ]
    assert not list(out.rglob("*.tmp"))


def test_only_files_it_wrote_are_ever_removed(tmp_path: Path, desired: Path) -> None:
    out = tmp_path / "public"
    out.mkdir()
    keep = out / "README.txt"
    keep.write_text("served by nginx; see ops wiki\n")
    export(desired, out)
    own = out / "www" / "legacy.example.org" / "favicon.ico"
    own.write_bytes(b"\0")  # somebody else's file inside a domain's folder
    desired.write_text(DOMAINS.split("  legacy.example.org:")[0])  # only example.com is left
    stderr = export(desired, out)
    assert "1 domain: wrote 1 file, 3 unchanged, removed 6." in stderr
    assert keep.read_text() == "served by nginx; see ops wiki\n"
    assert own.exists()  # not ours: kept, and so is its folder
    assert not (out / "www" / "legacy.example.org" / "mail").exists()
    assert not (out / "www" / IDN).exists()  # emptied by the removal: pruned
    assert not (out / "dns" / f"{IDN}.zone").exists()
    assert (out / "www" / "example.com" / "mail" / "config-v1.1.xml").exists()
    manifest = (out / ".mailctl-autoconfig.manifest").read_text().splitlines()
    assert "README.txt" not in manifest
    assert "www/example.com/mail/config-v1.1.xml" in manifest


def test_a_tampered_manifest_cannot_remove_files_outside(tmp_path: Path, desired: Path) -> None:
    out = tmp_path / "public"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out.mkdir()
    (out / "www").mkdir()
    (out / "www" / "link").symlink_to(tmp_path)
    (out / ".mailctl-autoconfig.manifest").write_text(
        f"../victim.txt\n{victim}\nwww/link/victim.txt\n"
    )
    export(desired, out)
    assert victim.read_text() == "precious\n"


def test_export_from_the_store(tmp_path: Path, desired: Path) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    out = tmp_path / "public"
    empty = offline("autoconfig", "export", "--out", str(out), "--state", state)
    assert empty.returncode == 1
    assert "nothing has been applied there yet" in empty.stderr
    assert not out.exists()
    applied = offline("apply", str(desired), "--auto-approve", "--state", state)
    assert applied.returncode == 0, applied.stderr
    stored = offline("autoconfig", "export", "--out", str(out), "--state", state)
    assert stored.returncode == 0, stored.stderr
    from_file = tmp_path / "from-file"
    from_desired = offline(
        "autoconfig", "export", str(desired), "--from", "desired", "--out", str(from_file)
    )
    assert from_desired.returncode == 0
    assert {k: v[0] for k, v in snapshot(out).items()} == {
        k: v[0] for k, v in snapshot(from_file).items()
    }


def test_bad_usage_and_bad_input_write_nothing(tmp_path: Path, desired: Path) -> None:
    out = tmp_path / "public"
    no_path = mailctl("autoconfig", "export", "--from", "desired", "--out", str(out))
    assert no_path.returncode == 1
    assert "--from desired needs PATH" in no_path.stderr
    stray = mailctl("autoconfig", "export", str(desired), "--out", str(out))
    assert stray.returncode == 1
    assert "read only with --from desired" in stray.stderr
    desired.write_text(DOMAINS.replace("port: 993", "port: 99999"))
    invalid = mailctl("autoconfig", "export", str(desired), "--from", "desired", "--out", str(out))
    assert invalid.returncode == 1
    assert f"{desired}:4:" in invalid.stderr
    assert not out.exists()


def test_pure_renderers_are_byte_stable() -> None:
    endpoint = Endpoint(host="mail.example.net", port=993, security="ssl")
    domain = Domain(name="example.net", imap=endpoint, smtp=endpoint)
    assert xml_out.client_config(domain) == xml_out.client_config(domain.model_copy())
    assert xml_out.client_config(domain).startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    assert srv.records(domain, ttl=60)[0] == (
        "_imaps._tcp.example.net. 60 IN SRV 0 1 993 mail.example.net."
    )


def test_a_file_it_did_not_write_is_never_overwritten(tmp_path: Path, desired: Path) -> None:
    out = tmp_path / "public"
    out.mkdir()
    (out / "srv-records.zone").write_text("; our own zone\n")
    before = snapshot(out)
    result = mailctl("autoconfig", "export", str(desired), "--from", "desired", "--out", str(out))
    assert result.returncode == 1
    assert f"{out / 'srv-records.zone'}: error: exists and was not written by mailctl" in (
        result.stderr
    )
    assert snapshot(out) == before


def test_manifest_entries_it_could_not_have_written_are_never_removed(
    tmp_path: Path, desired: Path
) -> None:
    out = tmp_path / "public"
    export(desired, out)
    (out / "index.html").write_text("<h1>ours</h1>\n")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    manifest = out / ".mailctl-autoconfig.manifest"
    manifest.write_text(manifest.read_text() + "index.html\n.git/HEAD\nwww/x\n")
    export(desired, out)
    assert (out / "index.html").read_text() == "<h1>ours</h1>\n"
    assert (out / ".git" / "HEAD").exists()


def test_a_host_that_is_not_a_normalised_name_never_reaches_a_zone() -> None:
    endpoint = Endpoint(host="fe80::1%x\n@ IN NS evil.example.net.", port=993, security="ssl")
    domain = Domain(name="example.com", imap=endpoint, smtp=endpoint)
    with pytest.raises(ValueError, match="is not a normalised host or domain name"):
        srv.zone_snippet(domain)

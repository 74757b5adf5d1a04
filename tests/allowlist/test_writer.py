"""The allowlist writer: only changed files are written, only mailctl's files removed,
a failure at any write leaves every file whole and listed in the manifest."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from reconciler.allowlist import writer
from reconciler.allowlist.formats import FORMATS
from reconciler.allowlist.rules import Allowlist, Origin, build
from reconciler.desired.model import Domain, Endpoint
from reconciler.errors import InputError, MailctlError
from reconciler.output.folder import OutputFolder
from tests.allowlist.formats_support import is_firewall_file, load_in_namespaces

ALL = tuple(FORMATS.values())
RANGES = ("192.0.2.0/28", "198.51.100.0/24", "2001:db8:10::/48")
OLD = 1_000_000_000  # an mtime (2001) that no write of this test can produce


@pytest.fixture(autouse=True)
def firewall_tools_accept_what_was_written(tmp_path: Path) -> Iterator[None]:
    """Whatever a test leaves in its folders, the real tools must load."""
    yield
    files = {
        str(p.relative_to(tmp_path)): p.read_bytes()
        for p in tmp_path.rglob("*")
        if p.is_file() and not p.is_symlink() and is_firewall_file(p.name)
    }
    if files:
        load_in_namespaces(files)


def domain(name: str, static: bool = True, smtp_port: int = 587) -> Domain:
    return Domain(
        name=name,
        imap=Endpoint(host=f"imap.{name}", port=993, security="ssl"),
        smtp=Endpoint(host=f"smtp.{name}", port=smtp_port, security="starttls"),
        use_static_ip_addresses=static,
    )


def allowlist(
    *domains: Domain, serial: int = 1, ranges: tuple[str, ...] = RANGES, lineage: str = "L1"
) -> Allowlist:
    return build(ranges, domains, Origin("stored", lineage, serial))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime (ns), the lock file aside."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if p.name != writer.LOCK
    }


def age(folder: Path) -> None:
    """Give every file an old mtime, so a rewrite shows whatever the clock's grain."""
    for p in folder.iterdir():
        os.utime(p, (OLD, OLD))


def manifest_files(folder: Path) -> set[str]:
    data = json.loads((folder / writer.MANIFEST).read_text())
    return {name for entry in data["entries"].values() for name in entry["files"]}


def test_writes_every_format_per_domain_and_combined(tmp_path: Path) -> None:
    report = writer.write(tmp_path, allowlist(domain("a.example"), domain("b.example")), ALL)
    names = {p.name for p in tmp_path.iterdir()} - {writer.LOCK, writer.MANIFEST}
    stems = ("a.example", "b.example", "all")
    suffixes = (".nft", ".rules.v4", ".rules.v6", ".ipset", ".txt", ".json", ".csv")
    assert names == {stem + suffix for stem in stems for suffix in suffixes}
    assert set(report.written) == names
    assert manifest_files(tmp_path) == names
    assert not list(tmp_path.glob(".*.tmp"))


def test_unchanged_rules_keep_files_and_mtimes_even_at_a_later_serial(tmp_path: Path) -> None:
    writer.write(tmp_path, allowlist(domain("a.example"), serial=3), ALL)
    age(tmp_path)
    before = snapshot(tmp_path)
    report = writer.write(tmp_path, allowlist(domain("a.example"), serial=9), ALL)
    assert report.written == ()
    assert snapshot(tmp_path) == before
    assert b"serial 3" in (tmp_path / "a.example.nft").read_bytes()


def test_changed_rules_rewrite_only_the_files_that_express_them(tmp_path: Path) -> None:
    writer.write(tmp_path, allowlist(domain("a.example"), domain("b.example"), serial=1), ALL)
    age(tmp_path)
    before = snapshot(tmp_path)
    changed = allowlist(domain("a.example"), domain("b.example", smtp_port=465), serial=2)
    report = writer.write(tmp_path, changed, ALL)
    after = snapshot(tmp_path)
    rewritten = {n for n in after if n != writer.MANIFEST and after[n] != before[n]}
    assert rewritten == set(report.written)
    assert {n.split(".")[0] for n in rewritten} == {"b", "all"}
    assert b"serial 2" in (tmp_path / "b.example.nft").read_bytes()
    assert b"serial 1" in (tmp_path / "a.example.nft").read_bytes()


def test_new_ranges_rewrite_every_domain(tmp_path: Path) -> None:
    writer.write(tmp_path, allowlist(domain("a.example"), domain("b.example")), ALL)
    wider = (*RANGES, "203.0.113.0/24")
    report = writer.write(
        tmp_path, allowlist(domain("a.example"), domain("b.example"), ranges=wider), ALL
    )
    assert len(report.written) == 3 * 7
    assert b"203.0.113.0/24" in (tmp_path / "a.example.txt").read_bytes()


def test_ranges_rewritten_to_the_same_address_space_change_no_file(tmp_path: Path) -> None:
    writer.write(tmp_path, allowlist(domain("a.example")), ALL)
    split = ("192.0.2.0/29", "192.0.2.8/29", "198.51.100.0/24", "2001:db8:10::/48")
    report = writer.write(tmp_path, allowlist(domain("a.example"), ranges=split, serial=2), ALL)
    assert report.written == ()


def test_a_hand_edited_file_is_restored(tmp_path: Path) -> None:
    writer.write(tmp_path, allowlist(domain("a.example")), ALL)
    original = (tmp_path / "a.example.txt").read_bytes()
    (tmp_path / "a.example.txt").write_bytes(original + b"10.0.0.0/8\n")
    report = writer.write(tmp_path, allowlist(domain("a.example"), serial=2), ALL)
    assert report.written == ("a.example.txt",)
    assert (tmp_path / "a.example.txt").read_bytes() == original


def test_files_of_a_domain_that_stops_using_static_ips_are_removed(tmp_path: Path) -> None:
    writer.write(tmp_path, allowlist(domain("a.example"), domain("b.example")), ALL)
    (tmp_path / "notes.txt").write_text("the firewall team's own file\n")
    report = writer.write(
        tmp_path, allowlist(domain("a.example"), domain("b.example", static=False)), ALL
    )
    assert len(report.removed) == 7
    assert not list(tmp_path.glob("b.example.*"))
    assert (tmp_path / "notes.txt").read_text() == "the firewall team's own file\n"
    assert not manifest_files(tmp_path) & set(report.removed)


def test_no_static_ip_domain_left_removes_every_file_mailctl_wrote(tmp_path: Path) -> None:
    writer.write(tmp_path, allowlist(domain("a.example")), ALL)
    report = writer.write(tmp_path, allowlist(domain("a.example", static=False)), ALL)
    assert len(report.removed) == 14
    assert {p.name for p in tmp_path.iterdir()} == {writer.MANIFEST}


def test_formats_not_asked_for_are_left_alone(tmp_path: Path) -> None:
    writer.write(tmp_path, allowlist(domain("a.example"), domain("b.example")), ALL)
    only_txt = (FORMATS["txt"],)
    report = writer.write(tmp_path, allowlist(domain("a.example")), only_txt)
    assert set(report.removed) == {"b.example.txt"}
    assert (tmp_path / "b.example.nft").exists()
    assert "b.example.nft" in manifest_files(tmp_path)


def test_a_damaged_manifest_stops_the_run_before_any_write(tmp_path: Path) -> None:
    writer.write(tmp_path, allowlist(domain("a.example")), ALL)
    (tmp_path / writer.MANIFEST).write_text('{"format": 1, "entries": [')
    age(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(InputError, match="manifest is damaged"):
        writer.write(tmp_path, allowlist(domain("a.example"), domain("b.example")), ALL)
    assert snapshot(tmp_path) == before


# One write of the interim manifest, 21 files (b's and all's 7 each, c's 7 new), the
# final manifest: 23 writes; 24 fails at the first removal of a stale file.
@pytest.mark.parametrize("fail_at", [1, 2, 5, 12, 22, 23, 24])
def test_a_failure_at_any_write_leaves_whole_files_all_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    """A disk that fails at the n-th write or removal (the manifest's included): every
    file on disk is the old or the new version, every one is in the manifest, and the
    next run finishes."""
    old = allowlist(domain("a.example"), domain("b.example"), serial=1)
    new = allowlist(domain("a.example", smtp_port=465), domain("c.example"), serial=2)
    expected, tmp_path = tmp_path / "expected", tmp_path / "out"
    writer.write(tmp_path, old, ALL)
    old_bytes = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    writer.write(expected, old, ALL)
    writer.write(expected, new, ALL)
    new_bytes = {p.name: p.read_bytes() for p in expected.iterdir()}

    real_many, real_remove = OutputFolder.write_many, OutputFolder.remove
    budget = fail_at

    def spend() -> None:
        nonlocal budget
        budget -= 1
        if budget == 0:
            raise OSError(28, "No space left on device")

    def many(self: OutputFolder, files: Sequence[tuple[str, bytes]], workers: int = 16) -> None:
        for index in range(len(files)):
            try:
                spend()
            except OSError:
                real_many(self, files[:index])
                raise
        real_many(self, files)

    def remove(self: OutputFolder, relative: str) -> bool:
        spend()
        return real_remove(self, relative)

    monkeypatch.setattr(OutputFolder, "write_many", many)
    monkeypatch.setattr(OutputFolder, "remove", remove)
    with pytest.raises(MailctlError, match="No space left on device"):
        writer.write(tmp_path, new, ALL)
    listed = manifest_files(tmp_path)
    for p in tmp_path.iterdir():
        if p.name in (writer.LOCK, writer.MANIFEST):
            continue
        assert p.name in listed, f"{p.name} is on disk but not in the manifest"
        assert p.read_bytes() in (old_bytes.get(p.name), new_bytes.get(p.name)), p.name
    assert not list(tmp_path.glob(".*.tmp"))

    monkeypatch.undo()
    writer.write(tmp_path, new, ALL)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == new_bytes
    assert budget <= 0, "the failure point was never reached"


def test_new_files_are_readable_by_others_as_the_umask_says(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        writer.write(tmp_path, allowlist(domain("a.example")), ALL)
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert set(modes.values()) == {0o644}, modes
    (tmp_path / "a.example.txt").chmod(0o640)
    writer.write(tmp_path, allowlist(domain("a.example"), ranges=("203.0.113.0/24",)), ALL)
    assert (tmp_path / "a.example.txt").stat().st_mode & 0o777 == 0o640  # kept


@pytest.mark.parametrize(
    "files",
    [["../victim.txt"], ["/tmp/victim.txt"], "all.txt", [".mailctl-allowlist.json"], [""]],
    ids=["parent", "absolute", "a string", "hidden", "empty"],
)
def test_a_manifest_naming_files_elsewhere_is_damaged_and_nothing_is_removed(
    tmp_path: Path, files: object
) -> None:
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    victim.write_text("not mailctl's\n")
    writer.write(out, allowlist(domain("a.example")), ALL)
    manifest = json.loads((out / writer.MANIFEST).read_text())
    manifest["entries"]["txt:gone.example"] = {
        "files": files,
        "checksum": "sha256:0",
        "lineage": "L1",
        "serial": 1,
        "origin": "stored",
    }
    (out / writer.MANIFEST).write_text(json.dumps(manifest))
    before = snapshot(out)
    with pytest.raises(InputError, match="manifest is damaged"):
        writer.write(out, allowlist(domain("a.example"), serial=2), ALL)
    assert victim.read_text() == "not mailctl's\n"
    assert snapshot(out) == before


def test_manifest_entries_naming_files_it_could_not_have_written_are_never_removed(
    tmp_path: Path,
) -> None:
    """A manifest lists only names; a name the writer cannot produce for the entry's
    format and domain (a README a pull request added to an entry) is not mailctl's."""
    writer.write(tmp_path, allowlist(domain("a.example"), domain("b.example")), ALL)
    (tmp_path / "README.md").write_text("how these files are deployed\n")
    (tmp_path / "index.html").write_text("<p>hello</p>\n")
    manifest = json.loads((tmp_path / writer.MANIFEST).read_text())
    b_files = {
        n for k, e in manifest["entries"].items() if k.endswith(":b.example") for n in e["files"]
    }
    manifest["entries"]["txt:b.example"]["files"].append("README.md")
    manifest["entries"]["csv:gone.example"] = {
        **manifest["entries"]["csv:b.example"],
        "files": ["index.html", "a.example.csv"],
    }
    (tmp_path / writer.MANIFEST).write_text(json.dumps(manifest))
    report = writer.write(tmp_path, allowlist(domain("a.example")), ALL)
    assert (tmp_path / "README.md").read_text() == "how these files are deployed\n"
    assert (tmp_path / "index.html").read_text() == "<p>hello</p>\n"
    assert (tmp_path / "a.example.csv").exists()  # another domain's name: not this entry's
    assert set(report.removed) == b_files and len(b_files) == 7
    listed = manifest_files(tmp_path)
    assert "README.md" not in listed and "index.html" not in listed

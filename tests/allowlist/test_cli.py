"""``mailctl allowlist``, ``apply --allowlist-dir`` and the allowlist delta in plans, end
to end through the command line (in-process) against a real SQLite store; every firewall file they
write goes through the real tools."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.allowlist.formats_support import load_in_namespaces
from tests.cli_support import offline
from tests.conftest import EXAMPLES

STATIC = ("example.com", "intranet.example.org", "legacy.example.org", "sales.example.net")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    return tmp_path


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file below ``folder`` (empty if it does not exist)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_apply_writes_the_allowlists_the_firewall_tools_accept(project: Path) -> None:
    applied = offline("apply", "examples", "--auto-approve", "--allowlist-dir", "fw", cwd=project)
    assert applied.returncode == 0, applied.stderr
    assert "Allowlists of 4 static-IP domains in fw: 35 written, 0 unchanged, 0 removed." in (
        applied.stdout
    )
    written = files_of(project / "fw")
    for stem in (*STATIC, "all"):
        for suffix in (".nft", ".rules.v4", ".rules.v6", ".ipset", ".txt", ".json", ".csv"):
            assert stem + suffix in written
    # The feed's ranges are stored and allowlisted with the inline ones.
    assert written["all.txt"].decode().splitlines()[-5:] == [
        "192.0.2.0/28",
        "198.51.100.32/27",
        "203.0.113.64/26",
        "2001:db8:10::/48",
        "2001:db8:20::/48",
    ]
    load_in_namespaces(written)

    # `mailctl allowlist` from the store writes the same bytes.
    again = offline("allowlist", "--out", "fw2", "--format", "all", cwd=project)
    assert again.returncode == 0, again.stderr
    assert files_of(project / "fw2") == written


def test_an_apply_with_nothing_to_change_keeps_every_file(project: Path) -> None:
    offline("apply", "examples", "--auto-approve", "--allowlist-dir", "fw", cwd=project)
    before = tree(project / "fw")
    again = offline("apply", "examples", "--auto-approve", "--allowlist-dir", "fw", cwd=project)
    assert again.returncode == 0, again.stderr
    assert "0 written, 35 unchanged, 0 removed" in again.stdout
    assert tree(project / "fw") == before
    load_in_namespaces(files_of(project / "fw"))


def test_a_domain_that_turns_static_ips_off_loses_its_files_at_the_next_apply(
    project: Path,
) -> None:
    offline("apply", "examples", "--auto-approve", "--allowlist-dir", "fw", cwd=project)
    (project / "fw" / "firewall-team-notes.md").write_text("ours\n")
    domains = project / "examples" / "domains.yaml"
    text = domains.read_text()
    start = text.index("  example.com:")
    end = text.index("use_static_ip_addresses: true", start)
    domains.write_text(text[:end] + "use_static_ip_addresses: false" + text[end + 29 :])

    plan = offline("plan", "examples", "--format", "json", cwd=project)
    assert plan.returncode == 0, plan.stderr
    delta = json.loads(plan.stdout)["allowlist"]
    assert delta == {
        "added": [],
        "changed": [],
        "removed": ["example.com"],
        "sources_changed": False,
    }
    markdown = offline("plan", "examples", "--format", "markdown", cwd=project)
    assert "| allowlist files | 0 added, 0 changed, 1 removed |" in markdown.stdout
    assert "- removed <code>example.com</code>: files removed" in markdown.stdout

    applied = offline("apply", "examples", "--auto-approve", "--allowlist-dir", "fw", cwd=project)
    assert applied.returncode == 0, applied.stderr
    assert "Allowlists of 3 static-IP domains in fw: 7 written, 21 unchanged, 7 removed." in (
        applied.stdout
    )
    assert not list((project / "fw").glob("example.com.*"))
    assert (project / "fw" / "firewall-team-notes.md").read_text() == "ours\n"
    load_in_namespaces(files_of(project / "fw"))


def test_a_new_feed_range_shows_in_the_plan_and_changes_every_domains_files(project: Path) -> None:
    offline("apply", "examples", "--auto-approve", "--allowlist-dir", "fw", cwd=project)
    feed = project / "examples" / "egress-ranges.txt"
    feed.write_text(feed.read_text() + "198.18.0.0/15  # the new site\n")
    plan = offline("plan", "examples", cwd=project)
    assert "    + 198.18.0.0/15" in plan.stdout
    assert "Allowlist files (0 added, 4 changed, 0 removed):" in plan.stdout
    assert "    ~ example.com: connection ranges change" in plan.stdout
    assert "text feed examples/egress-ranges.txt: 3 ranges" in plan.stdout
    applied = offline("apply", "examples", "--auto-approve", "--allowlist-dir", "fw", cwd=project)
    assert "35 written, 0 unchanged, 0 removed" in applied.stdout
    assert "198.18.0.0/15" in (project / "fw" / "legacy.example.org.nft").read_text()
    load_in_namespaces(files_of(project / "fw"))


def test_desired_preview_writes_what_an_apply_would(project: Path) -> None:
    preview = offline("allowlist", "examples", "--from", "desired", "--out", "preview", cwd=project)
    assert preview.returncode == 0, preview.stderr
    assert "(desired state, not applied)" in preview.stdout
    assert not (project / ".mailctl").exists()  # a preview never creates the store
    files = files_of(project / "preview")
    assert "desired state, not applied" in files["all.nft"].decode()
    assert json.loads(files["all.json"])["domains"][0]["domain"] == "example.com"
    load_in_namespaces(files)


def test_a_bad_feed_entry_names_the_feed_and_entry_and_nothing_is_written(project: Path) -> None:
    offline("apply", "examples", "--auto-approve", "--allowlist-dir", "fw", cwd=project)
    store, out = project / ".mailctl", project / "fw"
    before = (tree(store), tree(out))
    feed = project / "examples" / "egress-ranges.txt"
    feed.write_text(feed.read_text() + "203.0.113.300/32\n")
    for args in (
        ("plan", "examples"),
        ("apply", "examples", "--auto-approve", "--allowlist-dir", "fw"),
        ("allowlist", "examples", "--from", "desired", "--out", "fw"),
    ):
        result = offline(*args, cwd=project)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert "examples/domains.yaml:18:7: error: text feed " in result.stderr
        assert "egress-ranges.txt: line 4: '203.0.113.300/32'" in result.stderr
        assert "Traceback" not in result.stderr
    assert (tree(store), tree(out)) == before


def test_a_feed_whose_pin_does_not_match_is_refused(project: Path) -> None:
    domains = project / "examples" / "domains.yaml"
    wrong = hashlib.sha256(b"another feed").hexdigest()
    domains.write_text(
        domains.read_text().replace(
            "path: egress-ranges.txt", f"path: egress-ranges.txt\n      sha256: {wrong}"
        )
    )
    result = offline("plan", "examples", cwd=project)
    assert result.returncode == 1
    actual = hashlib.sha256((project / "examples" / "egress-ranges.txt").read_bytes()).hexdigest()
    assert wrong in result.stderr
    assert actual in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("allowlist", "--out", "fw", "--from", "desired"), "--from desired needs PATH"),
        (("allowlist", "examples", "--out", "fw"), "is read only with --from desired"),
        (("allowlist", "--out", "fw", "--format", "nft,pf"), "unknown format 'nft'"),
        (("allowlist", "--out", "fw"), "nothing has been applied there yet"),
    ],
)
def test_bad_usage_is_an_error_and_writes_nothing(
    project: Path, args: tuple[str, ...], message: str
) -> None:
    result = offline(*args, cwd=project)
    assert result.returncode == 1
    assert message in result.stderr
    assert not (project / "fw").exists()
    assert not (project / ".mailctl").exists()


def test_a_file_mailctl_did_not_write_stops_the_apply_s_allowlists_only(project: Path) -> None:
    (project / "fw").mkdir()
    (project / "fw" / "all.nft").write_text("table inet firewall-team {}\n")
    applied = offline("apply", "examples", "--auto-approve", "--allowlist-dir", "fw", cwd=project)
    assert applied.returncode == 1
    assert "the store is as applied, but writing the allowlists failed" in applied.stderr
    assert "was not written by mailctl" in applied.stderr
    assert (project / "fw" / "all.nft").read_text() == "table inet firewall-team {}\n"
    assert sorted(p.name for p in (project / "fw").iterdir()) == ["all.nft"]
    shown = offline("show", "--format", "json", cwd=project)
    assert json.loads(shown.stdout)["serial"] == 1


def test_show_names_the_first_ranges_and_how_many_there_are(project: Path) -> None:
    feed = project / "examples" / "egress-ranges.txt"
    feed.write_text("".join(f"198.18.{i}.0/24\n" for i in range(20)))
    offline("apply", "examples", "--auto-approve", cwd=project)
    shown = offline("show", cwd=project)
    line = next(x for x in shown.stdout.splitlines() if x.startswith("connection ranges:"))
    assert line.count("/") == 10
    assert line.endswith("… (23 in all; --format json lists every one)")
    listed = json.loads(offline("show", "--format", "json", cwd=project).stdout)
    assert len(listed["connection_ranges"]) == 23

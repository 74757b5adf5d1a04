"""From a domains file with feeds to connection ranges: load, then resolve_feeds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.allowlist.fetch import FetchOptions
from reconciler.allowlist.resolve import FeedReport, location, resolve_feeds
from reconciler.desired.loader import load
from reconciler.desired.model import Desired, Feed
from reconciler.errors import InputError, Location
from reconciler.net.resolver import static_resolver
from tests.allowlist.feed_support import (
    CORPUS,
    Pki,
    Server,
    atlassian_expected,
    aws_expected,
    corpus,
    https_server,
    make_pki,
    sha256,
    text_expected,
)

DOMAINS = """\
domains:
  example.com:
    imap: {host: imap.example.com}
    smtp: {host: smtp.example.com}
    use_static_ip_addresses: true
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("resolve-pki"))


@pytest.fixture
def server(pki: Pki) -> Iterator[Server]:
    with https_server(pki) as running:
        running.serve("/ips-v6", corpus("cloudflare/ips-v6"))
        yield running


@pytest.fixture
def feeds(tmp_path: Path) -> Path:
    """Copies of corpus files in a folder below the one holding the YAML file."""
    folder = tmp_path / "config" / "feeds"
    folder.mkdir(parents=True)
    for relative, name in [
        ("cloudflare/ips-v4", "ips-v4"),
        ("aws/ip-ranges.2025-07-24.json", "aws.json"),
        ("atlassian/ip-ranges.json", "atlassian.json"),
    ]:
        shutil.copyfile(CORPUS / relative, folder / name)
    return folder


@pytest.fixture(autouse=True)
def in_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in CI: mailctl runs in the checkout, config/ is a folder of it (and feeds/ of
    config/: a feed lies in or below its YAML file's folder)."""
    monkeypatch.chdir(tmp_path)


def write_domains(tmp_path: Path, connection_ips: str) -> Path:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    path = config / "domains.yaml"
    path.write_text(f"version: 1\nconnection_ips:\n{connection_ips}{DOMAINS}")
    return path


def offline(pki: Pki | None = None, **changes: object) -> FetchOptions:
    settings: dict[str, object] = {"timeout": 5.0, "resolver": static_resolver({})}
    if pki is not None:
        settings.update(allow_private=True, ca_file=pki.ca_file)
    settings.update(changes)
    return FetchOptions(**settings)  # type: ignore[arg-type]


def test_inline_ranges_then_each_feed_in_order(tmp_path: Path, feeds: Path) -> None:
    pin = sha256(corpus("cloudflare/ips-v4"))
    path = write_domains(
        tmp_path,
        "  ranges: [192.0.2.0/28, 3.5.140.0/22, 173.245.48.0/20]\n"
        "  feeds:\n"
        f"    - {{format: text, path: feeds/ips-v4, sha256: {pin}}}\n"
        "    - format: aws\n"
        "      path: feeds/aws.json\n"
        "      services: [EC2, S3]\n"
        "      regions: [eu-west-1]\n"
        "    - {format: atlassian, path: feeds/atlassian.json}\n",
    )
    loaded = load(path).desired
    assert [f.source for f in loaded.feeds] == [
        str(feeds / "ips-v4"),
        str(feeds / "aws.json"),
        str(feeds / "atlassian.json"),
    ]
    resolved, reports = resolve_feeds(loaded, offline())

    inline = ("192.0.2.0/28", "3.5.140.0/22", "173.245.48.0/20")
    text = text_expected("cloudflare/ips-v4")
    aws = aws_expected("aws/ip-ranges.2025-07-24.json", ("EC2", "S3"), ("eu-west-1",))
    atlassian = atlassian_expected(("egress",))  # the loader's default direction
    assert resolved.connection_ranges == tuple(dict.fromkeys(inline + text + aws + atlassian))
    assert resolved.feeds == ()
    assert resolved.domains == loaded.domains
    assert reports == (
        FeedReport(
            "text", str(feeds / "ips-v4"), sha256(corpus("cloudflare/ips-v4")), len(text), {}
        ),
        FeedReport(
            "aws",
            str(feeds / "aws.json"),
            sha256(corpus("aws/ip-ranges.2025-07-24.json")),
            len(aws),
            {"services": ("EC2", "S3"), "regions": ("eu-west-1",)},
        ),
        FeedReport(
            "atlassian",
            str(feeds / "atlassian.json"),
            sha256(corpus("atlassian/ip-ranges.json")),
            len(atlassian),
            {"directions": ("egress",)},
        ),
    )


def test_url_feed_from_the_domains_file(tmp_path: Path, server: Server, pki: Pki) -> None:
    pin = sha256(corpus("cloudflare/ips-v6"))
    path = write_domains(
        tmp_path,
        f"  feeds:\n    - {{format: text, url: '{server.url('/ips-v6')}', sha256: {pin}}}\n",
    )
    resolved, reports = resolve_feeds(load(path).desired, offline(pki))
    assert resolved.connection_ranges == text_expected("cloudflare/ips-v6")
    assert reports[0].source == server.url("/ips-v6") and reports[0].sha256 == pin


def test_every_feeds_errors_at_once_located_in_the_yaml(
    tmp_path: Path, feeds: Path, server: Server, pki: Pki
) -> None:
    wrong_pin = "0" * 64
    path = write_domains(
        tmp_path,
        "  feeds:\n"
        "    - {format: text, path: feeds/nope.txt}\n"
        "    - {format: text, path: feeds/ips-v4}\n"
        "    - format: aws\n"
        "      path: feeds/aws.json\n"
        "      regions: [us-east1]\n"
        f"    - {{format: text, url: '{server.url('/ips-v6')}', sha256: '{wrong_pin}'}}\n",
    )
    with pytest.raises(InputError) as caught:
        resolve_feeds(load(path).desired, offline(pki))
    found = [(d.location, d.message) for d in caught.value.diagnostics]
    assert found == [
        (Location(str(path), 4, 7), f"text feed {feeds / 'nope.txt'}: no such file"),
        (
            Location(str(path), 6, 7),
            f"aws feed {feeds / 'aws.json'}: regions: 'us-east1' not in this feed",
        ),
        (
            Location(str(path), 9, 7),
            f"text feed {server.url('/ips-v6')}: sha256 mismatch: the pin is {wrong_pin}, "
            f"the feed read is {sha256(corpus('cloudflare/ips-v6'))}",
        ),
    ]
    hints = [d.hint for d in caught.value.diagnostics]
    assert "relative to the YAML file" in hints[0] and "us-east-1" in hints[1]


def test_a_bad_entry_names_the_feed_and_the_entry(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "ranges.txt").write_text("192.0.2.0/24\n198.51.100.7/24\n")
    path = write_domains(tmp_path, "  feeds:\n    - {format: text, path: ranges.txt}\n")
    with pytest.raises(InputError) as caught:
        resolve_feeds(load(path).desired, offline())
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.location == Location(str(path), 4, 7)
    assert diagnostic.message == (
        f"text feed {tmp_path / 'config' / 'ranges.txt'}: line 2: '198.51.100.7/24' has host "
        "bits set: a range must start at its network address"
    )


def test_guard_applies_to_url_feeds_of_the_file(tmp_path: Path, server: Server, pki: Pki) -> None:
    pin = sha256(corpus("cloudflare/ips-v6"))
    path = write_domains(
        tmp_path,
        f"  feeds:\n    - {{format: text, url: '{server.url('/ips-v6')}', sha256: {pin}}}\n",
    )
    with pytest.raises(InputError) as caught:
        resolve_feeds(load(path).desired, offline(pki, allow_private=False))
    assert "loopback address" in caught.value.diagnostics[0].message
    assert server.connections == 0


def test_without_feeds_nothing_is_read() -> None:
    desired = Desired(connection_ranges=("192.0.2.0/28",))
    # An unusable resolver and CA file: any attempt at I/O would fail loudly.
    resolved, reports = resolve_feeds(desired, FetchOptions(ca_file=Path("/nonexistent")))
    assert resolved is desired and reports == ()


def test_duplicates_between_inline_and_feeds_are_dropped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("192.0.2.0/28\n198.51.100.0/24\n")
    (tmp_path / "b.txt").write_text("198.51.100.0/24\n203.0.113.0/24\n192.0.2.0/28\n")
    desired = Desired(
        connection_ranges=("203.0.113.0/24",),
        feeds=(
            Feed(format="text", source=str(tmp_path / "a.txt")),
            Feed(format="text", source=str(tmp_path / "b.txt")),
        ),
    )
    resolved, reports = resolve_feeds(desired, offline())
    assert resolved.connection_ranges == ("203.0.113.0/24", "192.0.2.0/28", "198.51.100.0/24")
    assert [r.ranges for r in reports] == [2, 3]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("/srv/domains.yaml:12:7", Location("/srv/domains.yaml", 12, 7)),
        ("C:/odd:name.yaml:3:5", Location("C:/odd:name.yaml", 3, 5)),
        ("/srv/domains.yaml", Location("/srv/domains.yaml")),
        ("", Location("/srv/feed.txt")),
    ],
)
def test_location_from_label(label: str, expected: Location) -> None:
    assert location(Feed(format="text", source="/srv/feed.txt", label=label)) == expected


def feed_path_errors(folder: Path, written: str) -> list[tuple[int, int, str]]:
    (folder / "domains.yaml").write_text(
        f"version: 1\nconnection_ips:\n  feeds:\n    - format: text\n      path: '{written}'\n"
    )
    with pytest.raises(InputError) as caught:
        load(folder)
    return [(d.location.line, d.location.column, d.message) for d in caught.value.diagnostics]


@pytest.mark.parametrize("cwd", ["/", "repo", "tmp"])
def test_a_feed_path_leading_out_of_the_yaml_files_folder_is_refused_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cwd: str
) -> None:
    """Judged against the YAML file's folder, wherever mailctl runs: with ``/`` (or the
    folder above the checkout) as the working folder, nothing outside is readable."""
    inside, outside = tmp_path / "repo", tmp_path / "elsewhere.txt"
    inside.mkdir()
    monkeypatch.chdir({"/": Path("/"), "repo": inside, "tmp": tmp_path}[cwd])
    outside.write_text("192.0.2.0/24\n")
    (inside / "link.txt").symlink_to(outside)
    (inside / "up").symlink_to(tmp_path)
    for written in (
        "../elsewhere.txt",
        str(outside),
        "link.txt",
        "up/elsewhere.txt",
        "../../../../etc/passwd",
        "/etc/passwd",
        "sub/../link.txt",
    ):
        assert feed_path_errors(inside, written) == [
            (5, 7, f"the feed path {written!r} leads outside the folder of this file")
        ], written


def test_a_feed_path_naming_a_hidden_file_is_refused_at_load(tmp_path: Path) -> None:
    """The checkout's .git/config holds the token CI checked out with."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[http]\n\textraheader = AUTHORIZATION: x\n")
    (tmp_path / ".env").write_text("MAILCTL_STATE=postgresql://u:secret@db/x\n")
    (tmp_path / "innocent.txt").symlink_to(tmp_path / ".git" / "config")
    for written in (".git/config", ".env", "./.env", "innocent.txt"):
        assert feed_path_errors(tmp_path, written) == [
            (5, 7, f"the feed path {written!r} names a hidden file or folder")
        ], written


def test_a_feed_below_the_yaml_files_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "ranges.txt").write_text("192.0.2.0/24\n")
    (tmp_path / "alias.txt").symlink_to(tmp_path / "feeds" / "ranges.txt")  # a link inside
    for written in ("feeds/ranges.txt", "./feeds/ranges.txt", "alias.txt"):
        (tmp_path / "domains.yaml").write_text(
            f"version: 1\nconnection_ips:\n  feeds:\n    - {{format: text, path: {written}}}\n"
            + DOMAINS
        )
        resolved, _ = resolve_feeds(load(tmp_path).desired, offline())
        assert resolved.connection_ranges == ("192.0.2.0/24",)


def test_a_file_that_is_no_feed_is_never_quoted(tmp_path: Path) -> None:
    """Lines of a file named as a text feed by mistake (or by a pull request) stay out
    of the error: only its line number and the length of the bad value are told."""
    secrets = [
        "root:x:0:0:root:/root:/bin/bash",
        "hunter2",
        "ghp_0123456789abcdefABCDEF0123456789abcd",
        "deadbeefcafe0123456789",
        "AKIA0123456789ABCDEF",
    ]
    for secret in secrets:
        (tmp_path / "notes.txt").write_text(f"# a comment\n{secret}\n")
        (tmp_path / "domains.yaml").write_text(
            "version: 1\nconnection_ips:\n  feeds:\n    - {format: text, path: notes.txt}\n"
            + DOMAINS
        )
        with pytest.raises(InputError) as caught:
            resolve_feeds(load(tmp_path).desired, offline())
        (diagnostic,) = caught.value.diagnostics
        assert secret not in str(diagnostic) and secret[:6] not in str(diagnostic)
        assert diagnostic.message.endswith(
            f"line 2: a value of {len(secret)} characters is not a CIDR range"
        )

"""One run names every independent mistake of a desired state: a schema error in one
domain hides neither the names of the others, nor a duplicate, nor a feed's problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.desired.loader import load
from reconciler.errors import InputError
from tests.conftest import Run

DOMAIN = "    imap: {host: imap.example.com}\n    smtp: {host: smtp.example.com}\n"

FEEDS = (
    "connection_ips:\n"
    "  ranges: [192.0.2.0/24]\n"
    "  feeds:\n"
    "    - format: text\n"
    "      path: ../../etc/passwd\n"
    "    - format: text\n"
    "      url: https://egress.example.com/ranges.txt\n"
)
BAD_PORT = (
    "  Example.COM:\n"
    "    imap: {host: imap.example.com, port: 99999}\n"
    "    smtp: {host: smtp.example.com}\n"
)

PORT = "port must be between 1 and 65535, not 99999"
PATH = "the feed path '../../etc/passwd' leads outside the folder of this file"
PIN = "the text feed at https://egress.example.com/ranges.txt has no sha256 pin"
IP = "email domain '192.0.2.7' is an IP address"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def found(path: Path) -> list[tuple[str, int, int, str]]:
    with pytest.raises(InputError) as caught:
        load(path)
    return [
        (Path(d.location.file).name, d.location.line, d.location.column, d.message)
        for d in caught.value.diagnostics
    ]


def test_one_file_with_five_independent_mistakes_names_all_five(tmp_path: Path) -> None:
    path = write(
        tmp_path / "domains.yaml",
        "version: 1\n"
        + FEEDS
        + "domains:\n"
        + BAD_PORT
        + "  example.com.:\n"
        + DOMAIN
        + "  192.0.2.7:\n"
        + DOMAIN,
    )
    twice = f"domain example.com is defined twice (also at {path}:10:3 as 'Example.COM')"
    assert found(path) == [
        ("domains.yaml", 6, 7, PATH),
        ("domains.yaml", 8, 7, PIN),
        ("domains.yaml", 11, 42, PORT),
        ("domains.yaml", 13, 3, twice),
        ("domains.yaml", 16, 3, IP),
    ]


@pytest.mark.smoke
def test_validate_prints_all_five_and_exits_1(tmp_path: Path, run_mailctl: Run) -> None:
    path = write(
        tmp_path / "domains.yaml",
        "version: 1\n"
        + FEEDS
        + "domains:\n"
        + BAD_PORT
        + "  example.com.:\n"
        + DOMAIN
        + "  192.0.2.7:\n"
        + DOMAIN,
    )
    result = run_mailctl("validate", "--format", "json", str(path))
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert [(d["line"], d["column"]) for d in document["diagnostics"]] == [
        (6, 7),
        (8, 7),
        (11, 42),
        (13, 3),
        (16, 3),
    ]


def test_the_same_five_across_two_files_of_a_folder(tmp_path: Path) -> None:
    first = write(
        tmp_path / "a.yaml", "version: 1\ndomains:\n" + BAD_PORT + "  192.0.2.7:\n" + DOMAIN
    )
    write(tmp_path / "b.yaml", "version: 1\n" + FEEDS + "domains:\n  example.com.:\n" + DOMAIN)
    twice = f"domain example.com is defined twice (also at {first}:3:3 as 'Example.COM')"
    assert found(tmp_path) == [
        ("a.yaml", 4, 42, PORT),
        ("a.yaml", 6, 3, IP),
        ("b.yaml", 6, 7, PATH),
        ("b.yaml", 8, 7, PIN),
        ("b.yaml", 10, 3, twice),
    ]


def test_a_bad_version_and_a_bad_range_hide_nothing_else(tmp_path: Path) -> None:
    path = write(
        tmp_path / "domains.yaml",
        "version: 2\n"
        "connection_ips:\n"
        "  ranges: [300.1.1.0/24]\n"
        "  feeds:\n"
        "    - format: text\n"
        "      url: https://egress.example.com/ranges.txt\n"
        "domains:\n"
        "  192.0.2.7:\n" + DOMAIN,
    )
    assert [(line, message[:30]) for _, line, _, message in found(path)] == [
        (1, "version 2 is newer than this m"),
        (3, "'300.1.1.0/24' is not an IP ad"),
        (6, PIN[:30]),
        (8, IP[:30]),
    ]


def test_an_invalid_feed_hides_neither_its_neighbours_nor_its_own_path(tmp_path: Path) -> None:
    path = write(
        tmp_path / "domains.yaml",
        "version: 1\n"
        "connection_ips:\n"
        "  feeds:\n"
        "    - format: azure\n"
        "      path: ok.txt\n"
        "    - format: text\n"
        "      path: ../secret.txt\n"
        "      url: https://egress.example.com/ranges.txt\n"
        "      sha256: " + "0" * 64 + "\n",
    )
    messages = [(line, message) for _, line, _, message in found(path)]
    assert [line for line, _ in messages] == [4, 6, 7]
    assert messages[1][1] == "the text feed needs exactly one of path and url"
    assert messages[2][1] == "the feed path '../secret.txt' leads outside the folder of this file"


def test_a_domain_that_fails_the_schema_still_counts_for_static_ranges(tmp_path: Path) -> None:
    """A broken connection_ips must not make a domain's use of it a second error."""
    path = write(
        tmp_path / "domains.yaml",
        "version: 1\n"
        "connection_ips:\n"
        "  ranges: [300.1.1.0/24]\n"
        "domains:\n"
        "  a.example.com:\n" + DOMAIN + "    use_static_ip_addresses: true\n",
    )
    assert [line for _, line, _, _ in found(path)] == [3]


def test_a_link_out_of_the_folder_hides_no_error_of_the_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "domains"
    write(folder / "base.yaml", "version: 1\ndomains:\n  192.0.2.7:\n" + DOMAIN)
    (folder / "evil.yaml").symlink_to(write(tmp_path / "outside.yaml", "version: 1\n"))
    assert [(name, line) for name, line, _, _ in found(folder)] == [
        ("base.yaml", 3),
        ("evil.yaml", 0),
    ]


def test_a_broken_setting_still_counts_as_set_in_two_files(tmp_path: Path) -> None:
    first = write(tmp_path / "a.yaml", "version: 1\nconnection_ips: {ranges: [192.0.2.0/24]}\n")
    write(
        tmp_path / "b.yaml",
        "version: 1\nconnection_ips: 192.0.2.0/24\ndomains:\n  a.example.com:\n"
        + DOMAIN
        + "    use_static_ip_addresses: true\n",
    )
    assert found(tmp_path) == [
        ("b.yaml", 2, 1, f"connection_ips is set in two files (also at {first}:2:1)"),
        ("b.yaml", 2, 17, "connection_ips must be a mapping of keys, not '192.0.2.0/24'"),
    ]


def test_a_static_ip_domain_is_not_blamed_for_a_connection_ips_that_failed(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "domains.yaml",
        "version: 1\nconnection_ips: 192.0.2.0/24\ndomains:\n  a.example.com:\n"
        + DOMAIN
        + "    use_static_ip_addresses: true\n",
    )
    assert [line for _, line, _, _ in found(path)] == [2]


def test_a_key_written_twice_hides_no_other_error_of_its_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "domains.yaml",
        "version: 1\n"
        + FEEDS
        + "domains:\n"
        + BAD_PORT
        + "  example.com.:\n"
        + DOMAIN
        + "    imap: {host: imap2.example.com}\n"  # written twice in this mapping
        + "  192.0.2.7:\n"
        + DOMAIN,
    )
    twice = f"domain example.com is defined twice (also at {path}:10:3 as 'Example.COM')"
    assert found(path) == [
        ("domains.yaml", 6, 7, PATH),
        ("domains.yaml", 8, 7, PIN),
        ("domains.yaml", 11, 42, PORT),
        ("domains.yaml", 13, 3, twice),
        ("domains.yaml", 16, 5, "duplicate key 'imap' (first defined at line 14)"),
        ("domains.yaml", 17, 3, IP),
    ]


def test_a_key_written_twice_is_judged_by_its_first_value_only(tmp_path: Path) -> None:
    path = write(
        tmp_path / "domains.yaml",
        "version: 1\ndomains:\n  a.example.com:\n"
        + DOMAIN
        + "  a.example.com:\n    imap: {host: imap.example.com, port: 99999}\n"
        + "    smtp: {host: smtp.example.com}\n",
    )
    assert found(path) == [
        ("domains.yaml", 6, 3, "duplicate key 'a.example.com' (first defined at line 3)")
    ]

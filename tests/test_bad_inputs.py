"""Every bad-input fixture gets exactly the expected diagnostics, at the expected places.

Each fixture is checked twice: through the loader (the exact message and location of
every diagnostic, nothing more) and through a real ``mailctl validate`` subprocess
(exit 1, the same diagnostics in its JSON output, nothing on stdout in text mode but
the annotations, no traceback).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.desired.loader import load
from reconciler.errors import InputError
from tests.conftest import FIXTURES, Run

BAD = FIXTURES / "bad"
LONG_LABEL = "a" * 64 + ".example.com"
LONG_NAME = ".".join(["a" * 60] * 5) + ".com"

# fixture -> [(file inside a folder fixture or "", line, column, message)]
EXPECTED: dict[str, list[tuple[str, int, int, str]]] = {
    "alias_bomb.yaml": [("", 10, 12, "aliases expand this file to at least 345,679,023 values")],
    "bool_quoted.yaml": [("", 6, 30, "use_static_ip_addresses must be true or false, not 'true'")],
    "bool_yes.yaml": [("", 6, 35, "allow_non_secure_certificate must be true or false, not 'yes'")],
    "cidr_host_bits.yaml": [
        ("", 5, 7, "'192.0.2.1/24' has host bits set: a range must start at its network address")
    ],
    "cidr_invalid.yaml": [("", 3, 12, "'300.1.1.0/24' is not an IP address or CIDR range")],
    "cidr_everything.yaml": [
        ("", 3, 26, "'0.0.0.0/0' is every IPv4 address: that allows everyone")
    ],
    "cidr_ipv6_zone.yaml": [
        ("", 4, 7, "a value of 39 characters names an IPv6 zone (%…), which a range cannot have")
    ],
    "feed_path_outside.yaml": [
        ("", 5, 7, "the feed path '../../../../etc/passwd' leads outside the folder of this file")
    ],
    "feed_url_with_password.yaml": [
        ("", 5, 12, "a feed url must not carry a user name or password")
    ],
    "feed_bad_sha256.yaml": [("", 6, 15, "sha256 must be 64 hex digits, not '12ab'")],
    "feed_filter_of_other_format.yaml": [
        ("", 7, 7, "the github feed has no 'regions' to filter on")
    ],
    "feed_github_without_keys.yaml": [
        ("", 4, 7, "the github feed needs keys: the lists of the meta document to read")
    ],
    "feed_http_url.yaml": [
        (
            "",
            5,
            12,
            "a feed url must start with https://, not "
            "'http://ip-ranges.example.com/ip-ranges.json'",
        )
    ],
    "feed_path_and_url.yaml": [("", 4, 7, "the text feed needs exactly one of path and url")],
    "feed_unknown_format.yaml": [
        (
            "",
            4,
            15,
            "format must be one of 'aws', 'google', 'github', 'atlassian' or 'text', not 'azure'",
        )
    ],
    "feed_url_without_pin.yaml": [
        (
            "",
            5,
            7,
            "the google feed at https://www.gstatic.com/ipranges/cloud.json has no sha256 pin",
        )
    ],
    "credentials_incomplete.yaml": [
        ("", 6, 5, "missing key 'password_env' in credentials of domain a.example.com")
    ],
    "deep_nesting.yaml": [("", 2, 73, "nesting is deeper than 64 levels")],
    "defaults_in_two_files": [
        ("b.yaml", 2, 1, "defaults is set in two files (also at {dir}/a.yaml:2:1)")
    ],
    "defaults_with_host.yaml": [("", 3, 10, "unknown key 'host' in defaults.imap")],
    "domain_is_ip.yaml": [("", 3, 3, "email domain '192.0.2.1' is an IP address")],
    "domain_label_too_long.yaml": [
        (
            "",
            3,
            3,
            f"domain name '{LONG_LABEL}' has a label of 64 characters; DNS allows at most 63",
        )
    ],
    "domain_name_too_long.yaml": [
        ("", 3, 3, f"domain name '{LONG_NAME}' is 308 characters long; DNS allows at most 253")
    ],
    "domain_single_label.yaml": [("", 3, 3, "domain name 'localhost' is not fully qualified")],
    "domain_twice_across_files": [
        (
            "us.yml",
            3,
            3,
            "domain shop.example.eu is defined twice (also at {dir}/eu.yaml:3:3 "
            "as 'shop.example.eu')",
        )
    ],
    "domain_twice_case_and_dot.yaml": [
        (
            "",
            6,
            3,
            "domain example.com is defined twice (also at {file}:3:3 as 'Example.COM')",
        )
    ],
    "domain_twice_idna.yaml": [
        (
            "",
            6,
            3,
            "domain xn--bcher-kva.example is defined twice (also at {file}:3:3 "
            "as 'bücher.example')",
        )
    ],
    "domain_underscore.yaml": [
        ("", 3, 3, "domain name 'my_domain.example.com' has an invalid label 'my_domain'")
    ],
    "domains_not_mapping.yaml": [("", 2, 10, "domains must be a mapping of keys, not a list")],
    "empty_file.yaml": [("", 1, 1, "file is empty")],
    "env_name_invalid.yaml": [("", 6, 33, "'1USER' is not an environment variable name")],
    "errors_in_two_files": [
        ("one.yaml", 4, 42, "port must be between 1 and 65535, not -1"),
        (
            "two.yaml",
            3,
            12,
            "'2001:db8::1/48' has host bits set: a range must start at its network address",
        ),
    ],
    "fingerprint_malformed.yaml": [
        (
            "",
            7,
            25,
            "certificate_sha256 must be a SHA-256 fingerprint: 64 hex digits, "
            "optionally in colon-separated pairs",
        )
    ],
    "host_bad_a_label.yaml": [
        (
            "",
            4,
            18,
            "host name 'xn--a.example.com' has an invalid A-label 'xn--a' "
            "(Codepoint U+0080 at position 1 of '\\x80' not allowed)",
        )
    ],
    "host_leading_hyphen.yaml": [
        ("", 4, 18, "host name '-imap.example.com' has an invalid label '-imap'")
    ],
    "host_not_string.yaml": [("", 4, 18, "host must be a string, not 12")],
    "host_numeric_tld.yaml": [
        (
            "",
            4,
            18,
            "host name '192.0.2.999' ends in an all-numeric label, which no top-level domain is",
        )
    ],
    "missing_host.yaml": [("", 4, 5, "missing key 'host' in imap of domain a.example.com")],
    "missing_smtp.yaml": [("", 3, 3, "missing key 'smtp' in domain a.example.com")],
    "missing_version.yaml": [("", 1, 1, "missing key 'version' at the top level")],
    "pin_without_tls.yaml": [
        ("", 6, 5, "a.example.com pins a certificate, but neither endpoint uses TLS")
    ],
    "port_bool.yaml": [("", 4, 42, "port must be a whole number, not true")],
    "port_quoted.yaml": [("", 4, 42, "port must be a whole number, not '993'")],
    "port_too_big.yaml": [("", 4, 42, "port must be between 1 and 65535, not 70000")],
    "port_zero.yaml": [("", 5, 42, "port must be between 1 and 65535, not 0")],
    "secret_in_endpoint.yaml": [
        (
            "",
            6,
            7,
            "'password' is not allowed in imap of domain a.example.com: "
            "secrets never live in a domains file",
        )
    ],
    "secret_password.yaml": [
        (
            "",
            6,
            5,
            "'password' is not allowed in domain a.example.com: "
            "secrets never live in a domains file",
        )
    ],
    "secret_username.yaml": [
        (
            "",
            6,
            5,
            "'username' is not allowed in domain a.example.com: "
            "secrets never live in a domains file",
        )
    ],
    "security_unknown.yaml": [
        ("", 4, 46, "security must be one of 'ssl', 'starttls' or 'none', not 'tls'")
    ],
    "several_errors.yaml": [
        ("", 4, 42, "port must be between 1 and 65535, not 99999"),
        ("", 5, 18, "host name 'smtp_1.example.com' has an invalid label 'smtp_1'"),
        ("", 6, 5, "unknown key 'colour' in domain b.example.com"),
        ("", 7, 3, "missing key 'smtp' in domain a.example.com"),
        ("", 8, 46, "security must be one of 'ssl', 'starttls' or 'none', not 'tls'"),
    ],
    "static_ip_without_ranges.yaml": [
        (
            "",
            6,
            5,
            "a.example.com uses static IP addresses, but connection_ips lists no ranges",
        )
    ],
    "top_level_list.yaml": [("", 1, 1, "the top level of a domains file must be a mapping")],
    "unknown_key_typo.yaml": [("", 4, 12, "unknown key 'hots' in imap of domain a.example.com")],
    "version_newer.yaml": [
        ("", 1, 10, "version 2 is newer than this mailctl understands (it reads version 1)")
    ],
    "version_string.yaml": [("", 1, 10, "version must be 1, not '1'")],
    "yaml_duplicate_key.yaml": [("", 5, 5, "duplicate key 'imap' (first defined at line 4)")],
    "yaml_not_utf8.yaml": [("", 3, 6, "file is not valid UTF-8 (byte 0xe9)")],
    "yaml_tab_indent.yaml": [
        ("", 4, 1, "YAML syntax error: found character '\\t' that cannot start any token")
    ],
    "yaml_two_documents.yaml": [
        (
            "",
            6,
            1,
            "YAML syntax error: but found another document "
            "(expected a single document in the stream at line 1)",
        )
    ],
    "yaml_unknown_tag.yaml": [
        ("", 4, 18, "YAML syntax error: could not determine a constructor for the tag '!secret'")
    ],
}


def _expected(name: str) -> list[tuple[str, int, int, str]]:
    path = BAD / name
    rows = []
    for file, line, column, message in EXPECTED[name]:
        where = str(path / file) if file else str(path)
        rows.append((where, line, column, message.format(dir=path, file=path)))
    return rows


def test_every_fixture_has_an_expectation() -> None:
    on_disk = {p.name for p in BAD.iterdir()}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loader_reports_exactly_the_expected_diagnostics(name: str) -> None:
    with pytest.raises(InputError) as caught:
        load(BAD / name)
    got = [
        (d.location.file, d.location.line, d.location.column, d.message)
        for d in caught.value.diagnostics
    ]
    assert got == _expected(name)
    assert all(d.severity == "error" for d in caught.value.diagnostics)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_exits_1_with_the_same_diagnostics(name: str, run_mailctl: Run) -> None:
    result = run_mailctl("validate", "--format", "json", str(BAD / name))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is False
    got = [(d["file"], d["line"], d["column"], d["message"]) for d in document["diagnostics"]]
    assert got == _expected(name)


def test_hostile_fixtures_are_refused_fast(run_mailctl: Run) -> None:
    import time

    for name in ("alias_bomb.yaml", "deep_nesting.yaml"):
        started = time.monotonic()
        result = run_mailctl("validate", str(BAD / name), timeout=20)
        assert result.returncode == 1
        # Generous bound: the point is "no exponential blow-up and no crash", which
        # would take minutes or kill the process with a signal.
        assert time.monotonic() - started < 15


def test_text_output_names_place_message_and_hint(run_mailctl: Run) -> None:
    result = run_mailctl("validate", str(BAD / "secret_password.yaml"))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"{BAD / 'secret_password.yaml'}:6:5: error: 'password' is not allowed in domain "
        "a.example.com: secrets never live in a domains file"
    )
    assert lines[1] == (
        "  hint: put the value in an environment variable and name that variable in "
        "credentials.password_env of the domain"
    )
    assert lines[-1] == f"{BAD / 'secret_password.yaml'}: 1 error in 1 file"
    assert "hunter2" not in result.stderr


def test_bad_path_is_unchanged(tmp_path: Path, run_mailctl: Run) -> None:
    target = tmp_path / "domains.yaml"
    content = (BAD / "several_errors.yaml").read_bytes()
    target.write_bytes(content)
    before = target.stat()
    run_mailctl("validate", str(target))
    assert target.read_bytes() == content
    assert target.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["domains.yaml"]

"""A domains file means one thing to every YAML reader: YAML 1.2 core types, integers in
decimal digits, and no character YAML forbids. Anything else is an error at its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.loader import load
from reconciler.errors import InputError

DOMAIN = """version: 1
domains:
  example.com:
    imap: {{host: imap.example.com, port: {port}}}
    smtp: {{host: smtp.example.com}}
    allow_non_secure_certificate: {flag}
"""


def _diagnostics(path: Path) -> list[tuple[int, int, str, str]]:
    with pytest.raises(InputError) as caught:
        load(path)
    return [
        (d.location.line, d.location.column, d.message, d.hint) for d in caught.value.diagnostics
    ]


@pytest.mark.parametrize("version", ["1.0", "true", "0x1", "0o1", "01", "1e0", "1_0", "1.", "TRUE"])
def test_a_version_that_only_equals_1_is_refused_at_its_place(tmp_path: Path, version: str) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(f"version: {version}\ndomains: {{}}\n")
    [(line, column, message, _hint)] = _diagnostics(path)
    assert (line, column) == (1, 10)
    assert message.startswith("version must be 1, not ")


@pytest.mark.parametrize(
    "port", ["9_93", "0o1715", "0x3e1", "0b1111100001", "01715", "1:30", "16:33", "+0993"]
)
def test_a_port_in_another_notation_than_decimal_digits_is_refused(
    tmp_path: Path, port: str
) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DOMAIN.format(port=port, flag="false"))
    [(line, column, message, hint)] = _diagnostics(path)
    assert (line, column) == (4, 42)
    assert message == f"port must be a whole number in decimal digits, not {port!r}"
    assert "YAML 1.2" in hint


@pytest.mark.parametrize("port", ["993.0", "true", "9.93e2", ".inf"])
def test_a_port_of_another_type_is_refused(tmp_path: Path, port: str) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DOMAIN.format(port=port, flag="false"))
    [(line, column, message, _hint)] = _diagnostics(path)
    assert (line, column) == (4, 42)
    assert message.startswith("port must be a whole number, not ")


@pytest.mark.parametrize("flag", ["yes", "No", "on", "OFF", "y", "1", "0"])
def test_a_yaml_1_1_boolean_is_not_a_boolean(tmp_path: Path, flag: str) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DOMAIN.format(port="993", flag=flag))
    [(line, column, message, _hint)] = _diagnostics(path)
    assert (line, column) == (6, 35)
    assert message.startswith("allow_non_secure_certificate must be true or false, not ")


def test_core_types_still_load(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DOMAIN.format(port="993", flag="True"))
    domain = load(path).desired.domains["example.com"]
    assert (domain.imap.port, domain.allow_non_secure_certificate) == (993, True)


def test_the_pure_parser_resolves_the_same_types(tmp_path: Path) -> None:
    # An IPv6 range inside [flow brackets] makes the C parser give up and the pure
    # parser decide: it must resolve plain scalars by the same rules.
    path = tmp_path / "d.yaml"
    path.write_text(
        "version: 1\nconnection_ips: {ranges: [2001:db8::/48]}\n"
        "domains:\n  example.com:\n    imap: {host: imap.example.com, port: 9_93}\n"
        "    smtp: {host: smtp.example.com}\n"
    )
    [(line, column, message, _hint)] = _diagnostics(path)
    assert (line, column) == (5, 42)
    assert message == "port must be a whole number in decimal digits, not '9_93'"


@pytest.mark.parametrize(
    ("text", "line", "column", "label"),
    [
        (
            "version: 1\ndomains:\n  example.com:\n    imap: {host: imap.exa\0mple.com}\n",
            4,
            26,
            "U+0000 (NUL)",
        ),
        ("\0version: 1\n", 1, 1, "U+0000 (NUL)"),
        ("version: 1\n# a comment \x1b]0;title\x07\ndomains: {}\n", 2, 13, "U+001B (ESC)"),
        ("version: 1\ndomains: {}  \x7f\n", 2, 14, "U+007F (DEL)"),
    ],
)
def test_a_forbidden_character_is_reported_at_its_own_line_and_column(
    tmp_path: Path, text: str, line: int, column: int, label: str
) -> None:
    path = tmp_path / "d.yaml"
    path.write_bytes(text.encode())
    [(got_line, got_column, message, hint)] = _diagnostics(path)
    assert (got_line, got_column) == (line, column)
    assert message == f"the file contains the control character {label}, which YAML does not allow"
    assert "position" not in message and "unicode string" not in message
    assert hint

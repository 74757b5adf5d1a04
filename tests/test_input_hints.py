"""The hints of the loader's diagnostics say what to write instead, in the file's terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.loader import load
from reconciler.errors import Diagnostic, InputError

SMTP = "    smtp: {host: smtp.example.com}\n"
IMAP = "    imap: {host: imap.example.com}\n"


def diagnose(tmp_path: Path, domain: str) -> Diagnostic:
    path = tmp_path / "domains.yaml"
    path.write_text("version: 1\ndomains:\n  a.example.com:\n" + domain, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(path)
    (only,) = caught.value.diagnostics
    return only


def warnings(tmp_path: Path, domain: str) -> list[tuple[str, str]]:
    path = tmp_path / "domains.yaml"
    path.write_text("version: 1\ndomains:\n  a.example.com:\n" + domain, encoding="utf-8")
    return [(w.message, w.hint) for w in load(path).warnings]


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("SSL", "did you mean 'ssl'? the values are written in lower case"),
        ("STARTTLS", "did you mean 'starttls'? the values are written in lower case"),
        (
            "tls",
            "did you mean 'ssl' (TLS from the first byte, ports 993 and 465) or 'starttls' "
            "(a plain connection upgraded to TLS, ports 143 and 587)?",
        ),
        ("startls", "did you mean 'starttls'?"),
    ],
)
def test_a_security_mode_in_other_letters_gets_a_did_you_mean(
    tmp_path: Path, written: str, hint: str
) -> None:
    found = diagnose(
        tmp_path, f"    imap: {{host: imap.example.com, security: {written}}}\n" + SMTP
    )
    assert found.message == (
        f"security must be one of 'ssl', 'starttls' or 'none', not {written!r}"
    )
    assert found.hint == hint


def test_yes_for_a_boolean_is_explained_without_talk_of_quotes(tmp_path: Path) -> None:
    found = diagnose(tmp_path, IMAP + SMTP + "    use_static_ip_addresses: yes\n")
    assert found.message == "use_static_ip_addresses must be true or false, not 'yes'"
    assert found.hint == "YAML 1.2 reads yes as text, not as a boolean: write true or false"


def test_a_number_for_a_boolean_is_not_told_to_drop_quotes_it_does_not_have(
    tmp_path: Path,
) -> None:
    found = diagnose(tmp_path, IMAP + SMTP + "    use_static_ip_addresses: 1\n")
    assert found.message == "use_static_ip_addresses must be true or false, not 1"
    assert found.hint == "write true or false (lower case, as YAML 1.2 spells booleans)"


def test_a_host_name_where_an_endpoint_belongs_shows_the_mapping_form(tmp_path: Path) -> None:
    found = diagnose(tmp_path, "    imap: imap.example.com\n" + SMTP)
    assert found.message == "imap must be a mapping of keys, not 'imap.example.com'"
    assert found.hint == (
        "an endpoint is a mapping: write imap: {host: imap.example.com} "
        "(add port: and security: unless the defaults fit)"
    )


def test_smtp_on_the_imap_port_is_called_so(tmp_path: Path) -> None:
    assert warnings(tmp_path, IMAP + "    smtp: {host: smtp.example.com, port: 993}\n") == [
        (
            "smtp of a.example.com uses port 993, which is the IMAP port",
            "check the port: SMTP submission listens on 465 (security: ssl) or 587 "
            "(security: starttls)",
        )
    ]


@pytest.mark.parametrize("port", [465, 587, 25])
def test_imap_on_an_smtp_port_is_called_so(tmp_path: Path, port: int) -> None:
    assert warnings(tmp_path, f"    imap: {{host: imap.example.com, port: {port}}}\n" + SMTP) == [
        (
            f"imap of a.example.com uses port {port}, which is the SMTP port",
            "check the port: IMAP listens on 993 (security: ssl) or 143 (security: starttls)",
        )
    ]


def test_a_security_mode_at_odds_with_its_own_port_names_both_fixes(tmp_path: Path) -> None:
    domain = IMAP + "    smtp: {host: smtp.example.com, port: 465, security: starttls}\n"
    assert warnings(tmp_path, domain) == [
        (
            "smtp of a.example.com uses security starttls on port 465, where SMTP uses ssl",
            "set security: ssl, or the port the server uses for starttls (587 by standard)",
        )
    ]

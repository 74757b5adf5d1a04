"""Normalisation and checks of domain and host names."""

from __future__ import annotations

import pytest

from reconciler.desired.names import NameProblem, normalise_domain, normalise_host


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example.", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("straße.example", "xn--strae-oqa.example"),  # non-transitional: ß kept
        ("a-b.c-d.example", "a-b.c-d.example"),
        ("1example.com", "1example.com"),
        ("a" * 63 + ".example", "a" * 63 + ".example"),
    ],
)
def test_domains_normalise(raw: str, expected: str) -> None:
    assert normalise_domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "is empty"),
        (" example.com", "white space"),
        ("localhost", "not fully qualified"),
        ("example..com", "empty label"),
        (".example.com", "empty label"),
        ("a" * 64 + ".example", "label of 64 characters"),
        ("-a.example", "invalid label '-a'"),
        ("a-.example", "invalid label 'a-'"),
        ("a_b.example", "invalid label 'a_b'"),
        ("a b.example", "invalid label 'a b'"),
        ("example.123", "all-numeric label"),
        ("192.0.2.1", "is an IP address"),
        ("2001:db8::1", "is an IP address"),
        ("xn--zz.example", "invalid A-label"),
        (".".join(["a" * 50] * 5) + ".com", "characters long; DNS allows at most 253"),
    ],
)
def test_bad_domains_are_refused(raw: str, fragment: str) -> None:
    with pytest.raises(NameProblem) as caught:
        normalise_domain(raw)
    assert fragment in caught.value.message


def test_name_of_exactly_253_characters_is_accepted() -> None:
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(name) == 253
    assert normalise_domain(name) == name
    with pytest.raises(NameProblem):
        normalise_domain(name + "d")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("IMAP.Example.com.", "imap.example.com"),
        ("192.0.2.10", "192.0.2.10"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("mail.bücher.example", "mail.xn--bcher-kva.example"),
    ],
)
def test_hosts_normalise(raw: str, expected: str) -> None:
    assert normalise_host(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "192.0.2.256",
        "mail",
        "mail_1.example.com",
        "01.2.3.4",
        "fe80::1%eth0",
        "fe80::1%x\n_imaps._tcp.example.com. 60 IN SRV 0 0 993 evil.example.net. ;",
    ],
)
def test_bad_hosts_are_refused(raw: str) -> None:
    with pytest.raises(NameProblem):
        normalise_host(raw)


def test_every_problem_has_a_message_and_most_a_hint() -> None:
    with pytest.raises(NameProblem) as caught:
        normalise_domain("localhost")
    assert caught.value.hint.startswith("write the full name")

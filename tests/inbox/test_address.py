"""Inbox addresses: what is accepted, how it is normalised, and the errors for the rest."""

from __future__ import annotations

import pytest

from reconciler.desired.inbox import Address, AddressProblem, parse_address, resolve
from reconciler.desired.model import Domain, Endpoint


@pytest.mark.parametrize(
    ("raw", "local", "domain"),
    [
        ("alice@example.com", "alice", "example.com"),
        # the domain part is normalised like a domain; the local part is kept as given
        ("Alice.Smith@Example.COM.", "Alice.Smith", "example.com"),
        ("bob@bücher.example", "bob", "xn--bcher-kva.example"),
        ("o'neil+tag@example.org", "o'neil+tag", "example.org"),
        ("!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*+-/=?^_`{|}~", "example.com"),
        ('"a@b"@example.com', '"a@b"', "example.com"),
        ('"john smith"@example.com', '"john smith"', "example.com"),
        ('"quote\\"d"@example.com', '"quote\\"d"', "example.com"),
        ("jörg@example.de", "jörg", "example.de"),  # RFC 6531 UTF-8 local part
        ("x" * 64 + "@example.com", "x" * 64, "example.com"),
    ],
)
def test_accepted_addresses(raw: str, local: str, domain: str) -> None:
    address = parse_address(raw)
    assert address == Address(local, domain)
    assert str(address) == f"{local}@{domain}"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "the address is empty"),
        ("alice", "has no @"),
        ("@example.com", "empty local part"),
        ("alice@", "domain name is empty"),
        (" alice@example.com", "leading or trailing white space"),
        ("Alice <alice@example.com>", "display name"),
        ("a b@example.com", "white space or a control character"),
        ("a\tb@example.com", "white space or a control character"),
        ("a\u200bb@example.com", "white space or a control character"),  # zero-width space
        ("a@b@example.com", "more than one @"),
        (".alice@example.com", "is not a valid mailbox name"),
        ("alice.@example.com", "is not a valid mailbox name"),
        ("al..ice@example.com", "is not a valid mailbox name"),
        ("al(ice)@example.com", "is not a valid mailbox name"),
        ('"unterminated@example.com', "quoted local part is malformed"),
        ('"a\x07b"@example.com', "quoted local part is malformed"),
        ("x" * 65 + "@example.com", "local part is 65 octets long"),
        ("ü" * 33 + "@example.com", "local part is 66 octets long"),  # octets, not characters
        ("alice@localhost", "not fully qualified"),
        ("alice@[192.0.2.1]", "is an IP address"),
        ("alice@192.0.2.1", "is an IP address"),
        ("alice@exa_mple.com", "invalid label"),
        ("x" * 64 + "@" + ".".join(["a" * 60] * 4) + ".com", "at most 254"),
    ],
)
def test_refused_addresses_say_why(raw: str, message: str) -> None:
    with pytest.raises(AddressProblem) as caught:
        parse_address(raw)
    assert message in caught.value.message
    if raw:
        assert repr(raw) in caught.value.message  # the error names the address


def test_whole_address_limit_counts_the_normalised_domain() -> None:
    local = "x" * 64
    domain = ".".join(["d" * 61] * 3) + ".example"  # 194 characters
    assert len(local) + 1 + len(domain) > 254
    with pytest.raises(AddressProblem, match="at most 254"):
        parse_address(f"{local}@{domain}")
    assert str(parse_address(f"{local[:50]}@{domain}")).endswith(domain)


def test_resolve_is_a_lookup_of_the_current_settings() -> None:
    endpoint = Endpoint(host="imap.example.com", port=993, security="ssl")
    domain = Domain(name="example.com", imap=endpoint, smtp=endpoint)
    assert resolve("example.com", {"example.com": domain}) is domain
    assert resolve("example.org", {"example.com": domain}) is None

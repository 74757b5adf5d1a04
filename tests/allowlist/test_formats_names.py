"""Firewall object names made from domain names: valid for each tool, within its length
limit, deterministic, readable when short, and distinct for distinct domains."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.allowlist.formats import names

NFT_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9/\\_.-]*\Z")
SAFE = re.compile(r"[a-z0-9._-]+\Z")

NAMERS = {
    "nft table": (names.nft_table, names.NFT_MAX),
    "nft comment": (names.nft_comment, names.NFT_MAX),
    "iptables chain": (names.iptables_chain, names.IPTABLES_MAX),
    "ipset v4 set": (lambda d: names.ipset_set(4, d), names.IPSET_MAX),
    "ipset v6 set": (lambda d: names.ipset_set(6, d), names.IPSET_MAX),
}

# Labels from a small alphabet, so that domains share prefixes and differ by "-" or ".".
_end = st.sampled_from("ab0")
_label = st.builds(lambda a, mid, b: a + mid + b, _end, st.text("ab0-", max_size=61), _end)
_domain = st.lists(_label, min_size=2, max_size=5).map(".".join).filter(lambda d: len(d) <= 253)


def test_short_names_are_the_domain_itself() -> None:
    assert names.nft_table("example.com") == "mailctl-example.com"
    assert names.iptables_chain("example.com") == "mailctl-example.com"
    assert names.ipset_set(4, "example.com") == "mailctl-v4-example.com"
    assert names.ipset_set(6, "example.com") == "mailctl-v6-example.com"
    assert names.nft_comment("xn--bcher-kva.example") == "xn--bcher-kva.example"


def test_a_long_name_keeps_its_start_and_a_hash_of_the_whole() -> None:
    domain = "customermailgateway.example.org"  # 31 characters
    chain = names.iptables_chain(domain)
    assert len(chain) == names.IPTABLES_MAX
    assert re.fullmatch(r"mailctl-customerm_[0-9a-f]{10}", chain)
    assert names.iptables_chain(domain) == chain  # deterministic


def test_a_shortened_name_does_not_end_its_readable_part_with_a_dot() -> None:
    # The first 9 characters, which fit, are "mailabcd.": the dot goes.
    chain = names.iptables_chain("mailabcd.relay.example")
    assert re.fullmatch(r"mailctl-mailabcd_[0-9a-f]{10}", chain), chain


@pytest.mark.parametrize("kind", sorted(NAMERS))
@pytest.mark.parametrize(
    "pair",
    [
        ("a-b.example", "a.b.example"),
        ("x" * 50 + ".example.com", "x" * 50 + ".example.org"),
        ("a" * 63 + "." + "b" * 63 + ".example", "a" * 63 + "." + "b" * 63 + ".exampla"),
        ("mail.example.com", "mail.example.com.example"),
    ],
    ids=["dash-vs-dot", "shared-prefix", "long-shared-prefix", "prefix-of-other"],
)
def test_names_that_could_collide_do_not(kind: str, pair: tuple[str, str]) -> None:
    make, limit = NAMERS[kind]
    first, second = (make(d) for d in pair)
    assert first != second
    assert len(first) <= limit and len(second) <= limit


@settings(max_examples=80, deadline=None)
@given(domains=st.lists(_domain, min_size=1, max_size=8, unique=True))
def test_names_are_valid_within_limits_and_distinct(domains: list[str]) -> None:
    for kind, (make, limit) in NAMERS.items():
        made = [make(d) for d in domains]
        assert len(set(made)) == len(domains), kind
        for name, domain in zip(made, domains, strict=True):
            assert len(name) <= limit, (kind, name)
            assert SAFE.match(name), (kind, name)
            # Verbatim when it fits; otherwise shortened, marked by "_", never verbatim.
            assert (domain in name) == ("_" not in name), (kind, name)
        if kind == "nft table":
            assert all(NFT_IDENTIFIER.match(n) for n in made)


def test_file_names_fit_the_file_system() -> None:
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(longest) == 253
    assert names.file_name("example.com", ".rules.v4") == "example.com.rules.v4"
    name = names.file_name(longest, ".rules.v4")
    assert len(name) == names.FILE_NAME_MAX and name.endswith(".rules.v4")
    assert name != names.file_name(longest[:-1] + "e", ".rules.v4")


def test_check_unique_refuses_one_name_for_two_domains() -> None:
    assert names.check_unique(["a.example", "b.example"], names.iptables_chain) == [
        "mailctl-a.example",
        "mailctl-b.example",
    ]
    with pytest.raises(ValueError, match=r"a\.example and b\.example both get"):
        names.check_unique(["a.example", "b.example"], lambda domain: "mailctl-same")


@pytest.mark.parametrize("bad", ["", "-a.example", "a..b", "A.example", "a_b.example", "é.example"])
def test_only_normalised_domains_are_named(bad: str) -> None:
    with pytest.raises(ValueError, match="not a normalised domain name"):
        names.iptables_chain(bad)

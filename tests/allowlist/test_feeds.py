"""read_feed against every published sample in the corpus, and against broken feeds.

Expected ranges come from feed_support, which reads the same files with plain json.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.allowlist.feed_values import FeedError
from reconciler.allowlist.feeds import read_feed
from tests.allowlist.feed_support import (
    atlassian_expected,
    aws_expected,
    corpus,
    github_expected,
    google_expected,
    text_expected,
)

AWS = ("aws/ip-ranges.json", "aws/ip-ranges.2025-07-24.json")
GITHUB = ("github/meta.json", "github/meta.2024-01-22.json")


def error_of(
    format: str, data: bytes, filters: dict[str, tuple[str, ...]] | None = None
) -> FeedError:
    with pytest.raises(FeedError) as caught:
        read_feed(format, data, filters or {})
    return caught.value


def dumps(document: Any) -> bytes:
    return json.dumps(document).encode()


# --- the corpus ---------------------------------------------------------------------


@pytest.mark.parametrize("relative", AWS)
def test_aws_whole_feed_in_order_without_duplicates(relative: str) -> None:
    ranges = read_feed("aws", corpus(relative), {})
    assert ranges == aws_expected(relative)
    # AWS lists a prefix under AMAZON and again under its service: fewer than entries.
    document = json.loads(corpus(relative))
    assert len(ranges) < len(document["prefixes"]) + len(document["ipv6_prefixes"])
    assert any(":" in r for r in ranges) and any("." in r for r in ranges)


@pytest.mark.parametrize("relative", AWS)
@pytest.mark.parametrize(
    ("services", "regions"),
    [(("EC2",), ()), ((), ("eu-west-1",)), (("EC2", "S3"), ("eu-west-1", "us-east-1"))],
)
def test_aws_filters(relative: str, services: tuple[str, ...], regions: tuple[str, ...]) -> None:
    filters = {k: v for k, v in (("services", services), ("regions", regions)) if v}
    ranges = read_feed("aws", corpus(relative), filters)
    expected = aws_expected(relative, services, regions)
    assert ranges == expected
    assert 0 < len(ranges) < len(aws_expected(relative))


@pytest.mark.parametrize("relative", ("google/goog.json", "google/cloud.json"))
def test_google_whole_feed(relative: str) -> None:
    assert read_feed("google", corpus(relative), {}) == google_expected(relative)


def test_google_cloud_by_scope_and_service() -> None:
    scopes = ("europe-west1", "us-central1")
    ranges = read_feed(
        "google", corpus("google/cloud.json"), {"scopes": scopes, "services": ("Google Cloud",)}
    )
    assert ranges == google_expected("google/cloud.json", scopes)
    assert 0 < len(ranges) < len(google_expected("google/cloud.json"))


def test_google_goog_json_has_no_scopes_to_filter_on() -> None:
    error = error_of("google", corpus("google/goog.json"), {"scopes": ("europe-west1",)})
    assert error.message == "scopes: no entry of this feed has a 'scope'"
    assert "goog.json" in error.hint


@pytest.mark.parametrize("relative", GITHUB)
@pytest.mark.parametrize("keys", [("hooks",), ("actions",), ("hooks", "web", "api", "git")])
def test_github_keys(relative: str, keys: tuple[str, ...]) -> None:
    ranges = read_feed("github", corpus(relative), {"keys": keys})
    assert ranges == github_expected(relative, keys)


def test_github_keys_overlap_once() -> None:
    # web and api share GitHub's own ranges: listed once, where first seen.
    ranges = read_feed("github", corpus("github/meta.json"), {"keys": ("web", "api")})
    document = json.loads(corpus("github/meta.json"))
    assert len(ranges) < len(document["web"]) + len(document["api"])
    assert ranges[: len(document["web"])] == tuple(document["web"])


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("ssh_keys", "array of other things"),
        ("domains", "object"),
        ("verifiable_password_authentication", "boolean"),
        ("ssh_key_fingerprints", "object"),
    ],
)
def test_github_keys_that_are_not_range_lists(key: str, kind: str) -> None:
    error = error_of("github", corpus("github/meta.json"), {"keys": ("hooks", key)})
    assert error.message == f"keys: {key!r} is not a list of CIDR ranges (it is a JSON {kind})"
    assert "hooks, web, api, git" in error.hint
    assert "ssh_keys" not in error.hint and "domains" not in error.hint


def test_github_unknown_key_and_missing_keys() -> None:
    error = error_of("github", corpus("github/meta.2024-01-22.json"), {"keys": ("copilot",)})
    assert error.message == "keys: 'copilot' is not in this meta document"
    assert "actions" in error.hint  # the keys this (older) document does have
    assert "keys" in error_of("github", corpus("github/meta.json"), {}).message


@pytest.mark.parametrize(
    ("directions", "products"),
    [(("egress",), ()), (("ingress",), ()), (("egress", "ingress"), ()), (("egress",), ("email",))],
)
def test_atlassian(directions: tuple[str, ...], products: tuple[str, ...]) -> None:
    filters = {"directions": directions} | ({"products": products} if products else {})
    ranges = read_feed("atlassian", corpus("atlassian/ip-ranges.json"), filters)
    assert ranges == atlassian_expected(directions, products)
    assert ranges


def test_atlassian_regions_are_lists() -> None:
    items = json.loads(corpus("atlassian/ip-ranges.json"))["items"]
    expected = tuple(i["cidr"] for i in items if "eu-west-1" in i["region"])
    ranges = read_feed("atlassian", corpus("atlassian/ip-ranges.json"), {"regions": ("eu-west-1",)})
    assert ranges == expected and len(expected) > 10


@pytest.mark.parametrize("relative", ("cloudflare/ips-v4", "cloudflare/ips-v6"))
def test_cloudflare_as_text(relative: str) -> None:
    data = corpus(relative)
    assert not data.endswith(b"\n")  # the published files have no final newline
    ranges = read_feed("text", data, {})
    assert ranges == text_expected(relative)
    assert len(ranges) == data.count(b"\n") + 1


# --- text details -------------------------------------------------------------------


def test_text_comments_blank_lines_crlf_bom_and_bare_addresses() -> None:
    data = (
        "\ufeff# egress ranges\r\n"
        "\r\n"
        "192.0.2.0/28   # office\r\n"
        "   2001:DB8:10::/48\r\n"
        "198.51.100.7\r\n"
        "2001:db8::1\r\n"
        "192.0.2.0/28\r\n"
        "#192.0.2.128/25\r\n"
        "203.0.113.0/24"
    ).encode()
    assert read_feed("text", data, {}) == (
        "192.0.2.0/28",
        "2001:db8:10::/48",
        "198.51.100.7/32",
        "2001:db8::1/128",
        "203.0.113.0/24",
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("10.0.0.1/8", "'10.0.0.1/8' has host bits set"),
        ("2001:db8::1/32", "'2001:db8::1/32' has host bits set"),
        ("10.0.0.0/33", "'10.0.0.0/33' is not a CIDR range"),
        ("example.com", "a value of 11 characters is not a CIDR range"),
        ("10.0.0.0/8 10.1.0.0/16", "a value of 22 characters is not a CIDR range"),
    ],
)
def test_text_bad_line_is_named(line: str, problem: str) -> None:
    data = "\n".join(["# header", "192.0.2.0/24", *[""] * 11, line, "198.51.100.0/24"]).encode()
    assert error_of("text", data).message.startswith(f"line 14: {problem}")


def test_text_host_bits_hint_names_the_network() -> None:
    assert "10.0.0.0/8" in error_of("text", b"10.0.0.1/8").hint


def test_text_not_utf8_and_empty() -> None:
    assert error_of("text", b"192.0.2.0/24\n\xff\xfe").message.startswith("not UTF-8 text")
    assert error_of("text", b"# nothing here\n\n").message == "the feed lists no ranges"


def test_text_filters_are_refused() -> None:
    assert (
        "no 'regions' to filter on"
        in error_of("text", b"192.0.2.0/24", {"regions": ("x",)}).message
    )


def test_a_long_bad_value_is_described_not_echoed() -> None:
    error = error_of("text", corpus("github/meta.json"))
    assert error.message == "line 1: a value of 124549 characters is not a CIDR range"


# --- bad JSON feeds -----------------------------------------------------------------


def aws_with(entry: object, at: int = 1203) -> bytes:
    document = json.loads(corpus("aws/ip-ranges.json"))
    document["prefixes"][at] = entry
    return dumps(document)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3.5.140.0/33", "prefixes[1203] ip_prefix: '3.5.140.0/33' is not a CIDR range"),
        ("3.5.140.1/22", "prefixes[1203] ip_prefix: '3.5.140.1/22' has host bits set"),
        ("garbage", "prefixes[1203] ip_prefix: a value of 7 characters is not a CIDR range"),
        (17, "prefixes[1203] ip_prefix: a JSON number is not a CIDR range (not a string)"),
    ],
)
def test_aws_bad_entry_is_named(value: object, message: str) -> None:
    entry = {"ip_prefix": value, "region": "eu-west-1", "service": "EC2"}
    # Named even when the filters would not keep it: the whole feed is validated.
    error = error_of("aws", aws_with(entry), {"services": ("S3",)})
    assert error.message.startswith(message)


def test_aws_entry_shape() -> None:
    assert error_of("aws", aws_with({"region": "x"})).message == "prefixes[1203]: no ip_prefix"
    assert error_of("aws", aws_with([], at=0)).message == "prefixes[0]: a JSON array, not an object"
    document = json.loads(corpus("aws/ip-ranges.json"))
    document["ipv6_prefixes"][5]["ipv6_prefix"] = "2600:1f14::1/40"
    assert error_of("aws", dumps(document)).message.startswith(
        "ipv6_prefixes[5] ipv6_prefix: '2600:1f14::1/40' has host bits set"
    )


def test_aws_bad_filter_field_is_named() -> None:
    entry = {"ip_prefix": "3.5.140.0/22", "region": ["eu-west-1"], "service": {"name": "EC2"}}
    error = error_of("aws", aws_with(entry), {"services": ("EC2",)})
    assert (
        error.message
        == "prefixes[1203] service: a JSON object is not a string or a list of strings"
    )


@pytest.mark.parametrize(
    ("format", "data", "message"),
    [
        ("aws", b"{not json", "not JSON"),
        ("aws", b"", "not JSON"),
        ("aws", b"[1, 2]", "not an aws feed: the top level is a JSON array"),
        ("aws", b'{"items": []}', "not an aws feed: no 'prefixes' list"),
        ("aws", b'{"prefixes": {}}', "not an aws feed: a JSON object as 'prefixes' list"),
        ("google", b'{"items": []}', "not a google feed: no 'prefixes' list"),
        ("atlassian", b'{"prefixes": []}', "not an atlassian feed: no 'items' list"),
        ("github", b'"hooks"', "not a github feed: the top level is a JSON string"),
    ],
)
def test_wrong_shape_says_which_format_was_expected(format: str, data: bytes, message: str) -> None:
    error = error_of(format, data, {"keys": ("hooks",)} if format == "github" else {})
    assert error.message.startswith(message)
    assert "is format: right?" in error.hint


def test_a_feed_in_another_format() -> None:
    error = error_of("aws", corpus("atlassian/ip-ranges.json"))
    assert error.message == "not an aws feed: no 'prefixes' list"
    assert "AWS ip-ranges.json" in error.hint
    google_as_aws = error_of("aws", corpus("google/cloud.json"))
    assert google_as_aws.message == "prefixes[0]: no ip_prefix"


def test_google_entry_without_prefix_and_github_bad_entry() -> None:
    document = json.loads(corpus("google/cloud.json"))
    document["prefixes"][3] = {"scope": "x", "service": "Google Cloud"}
    assert error_of("google", dumps(document)).message == "prefixes[3]: no ipv4Prefix or ipv6Prefix"
    meta = json.loads(corpus("github/meta.json"))
    meta["actions"][42] = "4.148.0.1/16"
    error = error_of("github", dumps(meta), {"keys": ("hooks", "actions")})
    assert error.message.startswith("actions[42]: '4.148.0.1/16' has host bits set")


def test_atlassian_bad_cidr() -> None:
    document = json.loads(corpus("atlassian/ip-ranges.json"))
    document["items"][7]["cidr"] = "52.82.172.0/99"
    error = error_of("atlassian", dumps(document), {"directions": ("egress",)})
    assert error.message == "items[7] cidr: '52.82.172.0/99' is not a CIDR range"


# --- filters that match nothing -----------------------------------------------------


def test_region_typo_lists_the_feeds_regions() -> None:
    error = error_of("aws", corpus("aws/ip-ranges.json"), {"regions": ("us-east1", "eu-west-1")})
    assert error.message == "regions: 'us-east1' not in this feed"
    assert "did you mean 'us-east-1'" in error.hint
    assert "'ap-east-1'" in error.hint and "in all)" in error.hint


def test_service_in_the_wrong_case() -> None:
    error = error_of("aws", corpus("aws/ip-ranges.json"), {"services": ("ec2",)})
    assert error.message == "services: 'ec2' not in this feed"
    assert "'AMAZON'" in error.hint


def test_atlassian_product_typo() -> None:
    error = error_of(
        "atlassian",
        corpus("atlassian/ip-ranges.json"),
        {"products": ("jra",), "directions": ("egress",)},
    )
    assert error.message == "products: 'jra' not in this feed"
    assert "did you mean 'jira'" in error.hint


def test_filters_that_each_match_but_not_together() -> None:
    # rovo-crawler ranges are all egress-only (computed, not assumed).
    items = json.loads(corpus("atlassian/ip-ranges.json"))["items"]
    assert not any("rovo-crawler" in i["product"] and "ingress" in i["direction"] for i in items)
    error = error_of(
        "atlassian",
        corpus("atlassian/ip-ranges.json"),
        {"products": ("rovo-crawler",), "directions": ("ingress",)},
    )
    assert (
        error.message
        == "no ranges left after the filters products: rovo-crawler; directions: ingress"
    )


def test_unknown_format_and_filter_key() -> None:
    assert "unknown feed format" in error_of("yaml", b"").message
    assert (
        error_of("aws", b"{}", {"scopes": ("x",)}).message
        == "the aws feed has no 'scopes' to filter on"
    )


def test_json_nested_too_deep_is_not_a_crash() -> None:
    assert error_of("aws", b"[" * 200_000).message == "not JSON (nested too deep)"


# --- values that must never reach a firewall file -----------------------------------


@pytest.mark.parametrize(
    "value",
    ["2001:db8::%1 -j ACCEPT\n-A INPUT -j ACCEPT\n#/32", "fe80::1%eth0/128", "2001:db8::%x/32"],
)
def test_an_ipv6_zone_is_refused_whatever_follows_it(value: str) -> None:
    error = error_of("github", dumps({"hooks": ["192.0.2.0/24", value]}), {"keys": ("hooks",)})
    assert error.message.startswith("hooks[1]: ")
    assert "names an IPv6 zone" in error.message
    assert "ACCEPT" not in error.message


@pytest.mark.parametrize("value", ["0.0.0.0/0", "::/0"])
def test_every_address_is_not_an_allowlist(value: str) -> None:
    error = error_of("text", f"192.0.2.0/24\n{value}\n".encode())
    assert error.message.startswith(f"line 2: '{value}' is every IPv")


def test_a_line_that_is_no_address_is_described_not_echoed() -> None:
    error = error_of("text", b"192.0.2.0/24\nMY_SECRET=hunter2\n")
    assert error.message == "line 2: a value of 17 characters is not a CIDR range"


def test_a_google_entry_with_both_prefixes_is_refused() -> None:
    entry = {"ipv4Prefix": "8.8.4.0/24", "ipv6Prefix": "2001:4860::/32"}
    error = error_of("google", dumps({"prefixes": [entry]}))
    assert error.message == "prefixes[0]: both ipv4Prefix and ipv6Prefix, where an entry has one"

"""One reader per feed format, each bytes and filters in, ranges out, in the feed's
order without duplicates: AWS and Atlassian ip-ranges.json, Google goog.json /
cloud.json, GitHub's meta document (``keys`` picks its range lists) and plain text (one
range a line, ``#`` comments). ``READERS`` maps each format's name to its reader."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from reconciler.allowlist.feed_json import (
    EXPECTED,
    Filters,
    Group,
    entry_list,
    parse_document,
    select,
)
from reconciler.allowlist.feed_values import BadRange, FeedError, RangeSet, kind


def _aws(data: bytes, filters: Filters) -> tuple[str, ...]:
    document = parse_document("aws", data)
    groups: list[Group] = [("prefixes", entry_list("aws", document, "prefixes"), ("ip_prefix",))]
    # ipv6_prefixes came later than prefixes; an old copy without it is still a feed.
    if "ipv6_prefixes" in document:
        groups.append(
            ("ipv6_prefixes", entry_list("aws", document, "ipv6_prefixes"), ("ipv6_prefix",))
        )
    return select("aws", groups, filters)


def _google(data: bytes, filters: Filters) -> tuple[str, ...]:
    prefixes = entry_list("google", parse_document("google", data), "prefixes")
    return select("google", [("prefixes", prefixes, ("ipv4Prefix", "ipv6Prefix"))], filters)


def _atlassian(data: bytes, filters: Filters) -> tuple[str, ...]:
    items = entry_list("atlassian", parse_document("atlassian", data), "items")
    return select("atlassian", [("items", items, ("cidr",))], filters)


def _github(data: bytes, filters: Filters) -> tuple[str, ...]:
    """The meta document mixes range lists (hooks, web, actions, …) with other data
    (ssh_keys, domains, verifiable_password_authentication): ``keys`` picks lists, and
    only the picked lists are read."""
    document = parse_document("github", data)
    keys = filters.get("keys", ())
    valid = [key for key, value in document.items() if _is_range_list(value)]
    hint = f"keys that list ranges in this document: {', '.join(valid) or 'none'}"
    if not keys:
        raise FeedError("the github feed needs keys: the lists of the meta document to read", hint)
    ranges = RangeSet()
    for key in keys:
        if key not in document:
            raise FeedError(f"keys: {key!r} is not in this meta document", hint)
        if key not in valid:
            what = kind(document[key])
            raise FeedError(
                f"keys: {key!r} is not a list of CIDR ranges (it is a JSON "
                + ("array of other things)" if what == "array" else f"{what})"),
                hint,
            )
        for index, value in enumerate(document[key]):
            try:
                ranges.keep(ranges.parse(value))
            except BadRange as bad:
                raise bad.at(f"{key}[{index}]") from None
    return ranges.result()


def _is_range_list(value: object) -> bool:
    """A list that holds ranges: judged by its first item, so that a bad item deeper in
    it is reported as a bad entry rather than the whole list being refused."""
    if not isinstance(value, list):
        return False
    if not value:
        return True
    first = value[0]
    if not isinstance(first, str):
        return False
    try:
        ipaddress.ip_network(first, strict=False)
    except ValueError:
        return False
    return True


def _text(data: bytes, filters: Filters) -> tuple[str, ...]:
    """One range a line. ``#`` starts a comment (whole line or after a range); blank
    lines, CRLF line ends, a missing final newline and a UTF-8 byte order mark are all
    fine, as files written by hand or on Windows have them."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FeedError(
            f"not UTF-8 text (byte {error.start})",
            f"a text feed is {EXPECTED['text']}: is format: right?",
        ) from None
    ranges = RangeSet()
    for number, line in enumerate(text.split("\n"), start=1):
        value = line.split("#", 1)[0].strip()
        if value:
            try:
                ranges.keep(ranges.parse(value))
            except BadRange as bad:
                raise bad.at(f"line {number}") from None
    return ranges.result()


READERS: dict[str, Callable[[bytes, Filters], tuple[str, ...]]] = {
    "aws": _aws,
    "google": _google,
    "github": _github,
    "atlassian": _atlassian,
    "text": _text,
}

"""Published feeds of IP ranges, read into CIDR ranges. Pure: bytes in, ranges out.

Each publisher has its own format (AWS ip-ranges.json, Google goog.json / cloud.json,
GitHub meta, Atlassian ip-ranges.json, plain text). ``read_feed`` turns one into the
ranges the allowlist uses, normalised like inline ranges (``str(ip_network(...))``),
in the feed's order, without duplicates.

The whole feed is validated, not only the entries the filters keep: a bad entry means
the publisher changed the format, or the file was damaged, and either must stop the
plan before it reaches a firewall. The first bad entry is named by its place in the
feed (``prefixes[1203] ip_prefix``, ``line 14``). Its text is quoted only when it looks
like an address (:func:`shown`): a file that is no feed (a key, a config holding a
token) named as one must not have its lines copied into a plan, a log or a comment.

A filter value that matches no entry is an error too, listing values the feed does
have: a typo such as region ``us-east1`` would otherwise silently allowlist nothing.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from reconciler.desired.ranges import RangeError, parse_range
from reconciler.desired.spec import FEED_FILTERS
from reconciler.errors import MailctlError

Filters = Mapping[str, tuple[str, ...]]

# What each format's document looks like, for errors about a document of another shape.
EXPECTED: dict[str, str] = {
    "aws": 'an AWS ip-ranges.json document: {"prefixes": [{"ip_prefix": …, "region": …, '
    '"service": …}], "ipv6_prefixes": [{"ipv6_prefix": …}]}',
    "google": 'a Google goog.json or cloud.json document: {"prefixes": [{"ipv4Prefix" or '
    '"ipv6Prefix": …, "scope": …, "service": …}]}',
    "github": 'a GitHub meta document (api.github.com/meta): {"hooks": [CIDR, …], …}',
    "atlassian": 'an Atlassian ip-ranges.json document: {"items": [{"cidr": …, '
    '"direction": […], "product": […], "region": […]}]}',
    "text": "UTF-8 text, one CIDR range a line, # comments",
}

# The entry field each filter key reads, per format.
_FIELDS: dict[str, dict[str, str]] = {
    "aws": {"services": "service", "regions": "region"},
    "google": {"services": "service", "scopes": "scope"},
    "atlassian": {"directions": "direction", "products": "product", "regions": "region"},
}

_SHOWN = 8  # values listed when a filter value is not in the feed
_DAMAGED = (
    "the feed's publisher changed its format, or the file is damaged: "
    "compare it with the publisher's copy"
)


# What a (mistyped) range of a feed looks like: hex digits, dots and colons, with at least
# one dot or colon, and a prefix length. Nothing else from a feed is ever quoted: a word,
# a key=value, a token or a hex string without separators is described by its length.
_RANGE_LIKE = re.compile(r"(?=[^/]*[.:])[0-9A-Fa-f.:]{2,45}(?:/[0-9]{1,3})?")


def shown(value: object) -> str:
    """A value read from a feed, for a message: quoted when it looks like an address,
    else described without its content."""
    if isinstance(value, str):
        if _RANGE_LIKE.fullmatch(value):
            return repr(value)
        return f"a value of {len(value)} characters"
    return f"a JSON {_kind(value)}"


class FeedError(MailctlError):
    """A feed that cannot be read or used; ``message`` names the entry at fault."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def read_feed(format: str, data: bytes, filters: Filters) -> tuple[str, ...]:
    """The CIDR ranges of a feed in ``format`` after ``filters``; raises FeedError."""
    reader = _READERS.get(format)
    if reader is None:
        raise FeedError(f"unknown feed format {format!r}", f"formats: {', '.join(_READERS)}")
    unknown = [key for key in filters if key not in FEED_FILTERS[format]]
    if unknown:
        allowed = FEED_FILTERS[format]
        raise FeedError(
            f"the {format} feed has no {', '.join(map(repr, unknown))} to filter on",
            f"{format} feeds filter on: {', '.join(allowed)}"
            if allowed
            else f"{format} feeds take no filters",
        )
    ranges = reader(data, filters)
    if not ranges:
        raise FeedError(
            "no ranges left after the filters " + _describe(filters)
            if filters
            else "the feed lists no ranges",
            "an empty feed would leave the allowlist without the feed's ranges: "
            "check the filters, or that this is the right feed",
        )
    return ranges


def _describe(filters: Filters) -> str:
    return "; ".join(f"{key}: {', '.join(values)}" for key, values in filters.items())


# --- ranges -------------------------------------------------------------------------


class _Ranges:
    """Normalised ranges in first-seen order; each distinct spelling is parsed once
    (AWS lists many prefixes twice: under AMAZON and under the specific service)."""

    def __init__(self) -> None:
        self._parsed: dict[str, str] = {}
        self._kept: dict[str, None] = {}

    def parse(self, value: object) -> str:
        """``value`` as a normalised range; raises _BadRange when it is not one."""
        if not isinstance(value, str):
            raise _BadRange(f"{shown(value)} is not a CIDR range (not a string)")
        known = self._parsed.get(value)
        if known is None:
            known = self._parsed[value] = _network(value)
        return known

    def keep(self, network: str) -> None:
        self._kept[network] = None

    def result(self) -> tuple[str, ...]:
        return tuple(self._kept)


class _BadRange(Exception):
    """A value that is not a range; the caller adds where in the feed it is. (Places
    are only spelled out for an error: building them for 17,000 good entries costs
    more than parsing some of them.)"""

    def __init__(self, problem: str, hint: str = _DAMAGED, field: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.field = field  # the entry's field at fault, when not its range

    def at(self, where: str) -> FeedError:
        return FeedError(f"{where}: {self.problem}", self.hint)


def _network(value: str) -> str:
    """By the policy of every range (reconciler.desired.ranges), worded for a feed: a bad entry
    is the publisher's to fix, not something to widen or narrow by hand."""
    try:
        return str(parse_range(value))
    except RangeError as problem:
        if problem.kind == "cidr_host_bits":
            raise _BadRange(
                problem.message,
                f"the range that holds it is {ipaddress.ip_interface(value).network}; the "
                "feed is wrong or damaged, so ask its publisher rather than widening the "
                "range by hand",
            ) from None
        if problem.kind == "cidr":
            raise _BadRange(f"{shown(value)} is not a CIDR range") from None
        if problem.kind == "cidr_zone":
            raise _BadRange(
                f"{shown(value)} names an IPv6 zone (%…), which a range cannot have"
            ) from None
        if problem.kind == "cidr_netmask":
            # The mask is digits and dots; the address part is quoted only when it
            # looks like one.
            if _RANGE_LIKE.fullmatch(value.partition("/")[0]):
                raise _BadRange(problem.message, problem.hint) from None
            raise _BadRange(
                f"{shown(value)} has a mask where a range has a prefix length",
                "write a prefix length: 192.0.2.0/24, not 192.0.2.0/255.255.255.0",
            ) from None
        # Every other refusal is of a value that parsed as an address: safe to quote.
        raise _BadRange(problem.message) from None


# --- JSON formats -------------------------------------------------------------------


def _document(format: str, data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError
        raise FeedError(
            f"not JSON ({error})"
            if isinstance(error, ValueError)
            else "not JSON (nested too deep)",
            f"{_article(format)} feed is {EXPECTED[format]}: is format: right?",
        ) from None
    if not isinstance(document, dict):
        raise FeedError(
            f"not {_article(format)} feed: the top level is a JSON {_kind(document)}",
            f"{_article(format)} feed is {EXPECTED[format]}: is format: right?",
        )
    return document


def _entries(format: str, document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    if not isinstance(value, list):
        problem = "no" if value is None else f"a JSON {_kind(value)} as"
        raise FeedError(
            f"not {_article(format)} feed: {problem} {key!r} list",
            f"{_article(format)} feed is {EXPECTED[format]}: is format: right?",
        )
    return value


def _article(format: str) -> str:
    """'an aws', 'a google': for messages that name a format."""
    return f"an {format}" if format[0] in "aeiou" else f"a {format}"


def _kind(value: object) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


Group = tuple[str, list[Any], tuple[str, ...]]
"""A list of entries: its name in the document, its entries, and the keys that may hold
an entry's range (``("ipv4Prefix", "ipv6Prefix")``)."""


def _select(format: str, groups: Iterable[Group], filters: Filters) -> tuple[str, ...]:
    """Validate every entry; keep the ranges of those that every filter matches."""
    fields = _FIELDS[format]
    wanted = [(key, fields[key], frozenset(values)) for key, values in filters.items()]
    present: dict[str, set[str]] = {key: set() for key in filters}
    ranges = _Ranges()
    for name, entries, range_keys in groups:
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise FeedError(
                    f"{name}[{index}]: a JSON {_kind(entry)}, not an object",
                    f"{_article(format)} feed is {EXPECTED[format]}",
                )
            found_keys = [k for k in range_keys if k in entry]
            if len(found_keys) > 1:
                raise FeedError(
                    f"{name}[{index}]: both {' and '.join(found_keys)}, where an entry has one",
                    f"{_article(format)} feed is {EXPECTED[format]}",
                )
            range_key = found_keys[0] if found_keys else None
            if range_key is None:
                raise FeedError(
                    f"{name}[{index}]: no {' or '.join(range_keys)}",
                    f"{_article(format)} feed is {EXPECTED[format]}",
                )
            try:
                network = ranges.parse(entry[range_key])
                keep = True
                for key, field, values in wanted:
                    found = _values(entry.get(field), field)
                    present[key].update(found)
                    keep = keep and not values.isdisjoint(found)
            except _BadRange as bad:
                raise bad.at(f"{name}[{index}] {bad.field or range_key}") from None
            if keep:
                ranges.keep(network)
    for key, field, _ in wanted:
        _check_filter(key, field, filters[key], present[key])
    return ranges.result()


def _values(value: object, field: str) -> tuple[str, ...]:
    """A filter field's values: absent, one string, or a list of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise _BadRange(f"{shown(value)} is not a string or a list of strings", field=field)


def _check_filter(key: str, field: str, values: tuple[str, ...], present: set[str]) -> None:
    if not present:
        raise FeedError(
            f"{key}: no entry of this feed has a {field!r}",
            f"remove {key}: this feed does not say which {field} a range belongs to "
            "(Google's goog.json, for one, lists ranges without scope or service; "
            "cloud.json has them)",
        )
    missing = [value for value in values if value not in present]
    if not missing:
        return
    close = [
        repr(match)
        for value in missing
        for match in difflib.get_close_matches(value, present, n=2, cutoff=0.6)
    ]
    shown = sorted(present)[:_SHOWN]
    listed = ", ".join(map(repr, shown)) + (
        f", … ({len(present)} in all)" if len(present) > len(shown) else ""
    )
    raise FeedError(
        f"{key}: {', '.join(map(repr, missing))} not in this feed",
        (f"did you mean {' or '.join(dict.fromkeys(close))}? " if close else "")
        + f"the feed's {field} values: {listed}",
    )


def _aws(data: bytes, filters: Filters) -> tuple[str, ...]:
    document = _document("aws", data)
    groups: list[Group] = [("prefixes", _entries("aws", document, "prefixes"), ("ip_prefix",))]
    # ipv6_prefixes came later than prefixes; an old copy without it is still a feed.
    if "ipv6_prefixes" in document:
        groups.append(
            ("ipv6_prefixes", _entries("aws", document, "ipv6_prefixes"), ("ipv6_prefix",))
        )
    return _select("aws", groups, filters)


def _google(data: bytes, filters: Filters) -> tuple[str, ...]:
    prefixes = _entries("google", _document("google", data), "prefixes")
    return _select("google", [("prefixes", prefixes, ("ipv4Prefix", "ipv6Prefix"))], filters)


def _atlassian(data: bytes, filters: Filters) -> tuple[str, ...]:
    items = _entries("atlassian", _document("atlassian", data), "items")
    return _select("atlassian", [("items", items, ("cidr",))], filters)


def _github(data: bytes, filters: Filters) -> tuple[str, ...]:
    """The meta document mixes range lists (hooks, web, actions, …) with other data
    (ssh_keys, domains, verifiable_password_authentication): ``keys`` picks lists, and
    only the picked lists are read."""
    document = _document("github", data)
    keys = filters.get("keys", ())
    valid = [key for key, value in document.items() if _is_range_list(value)]
    hint = f"keys that list ranges in this document: {', '.join(valid) or 'none'}"
    if not keys:
        raise FeedError("the github feed needs keys: the lists of the meta document to read", hint)
    ranges = _Ranges()
    for key in keys:
        if key not in document:
            raise FeedError(f"keys: {key!r} is not in this meta document", hint)
        if key not in valid:
            what = _kind(document[key])
            raise FeedError(
                f"keys: {key!r} is not a list of CIDR ranges (it is a JSON "
                + ("array of other things)" if what == "array" else f"{what})"),
                hint,
            )
        for index, value in enumerate(document[key]):
            try:
                ranges.keep(ranges.parse(value))
            except _BadRange as bad:
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


# --- text ---------------------------------------------------------------------------


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
    ranges = _Ranges()
    for number, line in enumerate(text.split("\n"), start=1):
        value = line.split("#", 1)[0].strip()
        if value:
            try:
                ranges.keep(ranges.parse(value))
            except _BadRange as bad:
                raise bad.at(f"line {number}") from None
    return ranges.result()


_READERS: dict[str, Callable[[bytes, Filters], tuple[str, ...]]] = {
    "aws": _aws,
    "google": _google,
    "github": _github,
    "atlassian": _atlassian,
    "text": _text,
}

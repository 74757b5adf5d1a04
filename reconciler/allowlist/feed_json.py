"""The JSON feeds' common shape: a document that must be a JSON object, lists of entries
in it, and the selection of entries by filters. Every entry is validated, not only those
the filters keep, and a filter value that matches no entry is an error listing the
values the feed does have: a typo such as region ``us-east1`` would otherwise silently
allowlist nothing."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.allowlist.feed_values import BadRange, FeedError, RangeSet, kind, shown

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


def parse_document(format: str, data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError
        raise FeedError(
            f"not JSON ({error})"
            if isinstance(error, ValueError)
            else "not JSON (nested too deep)",
            f"{article(format)} feed is {EXPECTED[format]}: is format: right?",
        ) from None
    if not isinstance(document, dict):
        raise FeedError(
            f"not {article(format)} feed: the top level is a JSON {kind(document)}",
            f"{article(format)} feed is {EXPECTED[format]}: is format: right?",
        )
    return document


def entry_list(format: str, document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    if not isinstance(value, list):
        problem = "no" if value is None else f"a JSON {kind(value)} as"
        raise FeedError(
            f"not {article(format)} feed: {problem} {key!r} list",
            f"{article(format)} feed is {EXPECTED[format]}: is format: right?",
        )
    return value


def article(format: str) -> str:
    """'an aws', 'a google': for messages that name a format."""
    return f"an {format}" if format[0] in "aeiou" else f"a {format}"


Group = tuple[str, list[Any], tuple[str, ...]]
"""A list of entries: its name in the document, its entries, and the keys that may hold
an entry's range (``("ipv4Prefix", "ipv6Prefix")``)."""


def select(format: str, groups: Iterable[Group], filters: Filters) -> tuple[str, ...]:
    """Validate every entry; keep the ranges of those that every filter matches."""
    fields = _FIELDS[format]
    wanted = [(key, fields[key], frozenset(values)) for key, values in filters.items()]
    present: dict[str, set[str]] = {key: set() for key in filters}
    ranges = RangeSet()
    for name, entries, range_keys in groups:
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise FeedError(
                    f"{name}[{index}]: a JSON {kind(entry)}, not an object",
                    f"{article(format)} feed is {EXPECTED[format]}",
                )
            found_keys = [k for k in range_keys if k in entry]
            if len(found_keys) > 1:
                raise FeedError(
                    f"{name}[{index}]: both {' and '.join(found_keys)}, where an entry has one",
                    f"{article(format)} feed is {EXPECTED[format]}",
                )
            range_key = found_keys[0] if found_keys else None
            if range_key is None:
                raise FeedError(
                    f"{name}[{index}]: no {' or '.join(range_keys)}",
                    f"{article(format)} feed is {EXPECTED[format]}",
                )
            try:
                network = ranges.parse(entry[range_key])
                keep = True
                for key, field, values in wanted:
                    found = _values(entry.get(field), field)
                    present[key].update(found)
                    keep = keep and not values.isdisjoint(found)
            except BadRange as bad:
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
    raise BadRange(f"{shown(value)} is not a string or a list of strings", field=field)


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

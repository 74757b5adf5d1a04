"""Published feeds of IP ranges, read into CIDR ranges. Pure: bytes in, ranges out.

Each publisher has its own format (AWS ip-ranges.json, Google goog.json / cloud.json,
GitHub meta, Atlassian ip-ranges.json, plain text). ``read_feed`` turns one into the
ranges the allowlist uses, normalised like inline ranges (``str(ip_network(...))``),
in the feed's order, without duplicates.

The whole feed is validated, not only the entries the filters keep: a bad entry means
the publisher changed the format, or the file was damaged, and either must stop the
plan before it reaches a firewall. The first bad entry is named by its place in the
feed (``prefixes[1203] ip_prefix``, ``line 14``). Its text is quoted only when it looks
like an address (:func:`~reconciler.allowlist.feed_values.shown`): a file that is no
feed (a key, a config holding a token) named as one must not have its lines copied into
a plan, a log or a comment. The readers of each format are in ``feed_formats``.

A filter value that matches no entry is an error too, listing values the feed does
have: a typo such as region ``us-east1`` would otherwise silently allowlist nothing.
"""

from __future__ import annotations

from reconciler.allowlist.feed_formats import READERS
from reconciler.allowlist.feed_json import Filters
from reconciler.allowlist.feed_values import FeedError
from reconciler.desired.spec import FEED_FILTERS


def read_feed(format: str, data: bytes, filters: Filters) -> tuple[str, ...]:
    """The CIDR ranges of a feed in ``format`` after ``filters``; raises FeedError."""
    reader = READERS.get(format)
    if reader is None:
        raise FeedError(f"unknown feed format {format!r}", f"formats: {', '.join(READERS)}")
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

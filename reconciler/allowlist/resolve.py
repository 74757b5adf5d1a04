"""Read every feed of a desired state into its connection ranges.

The loader does no I/O, so a loaded ``Desired`` names its feeds; this is the step that
reads them (before a plan is made), after which the rest of mailctl sees only ranges.
Every feed is read even when one fails, and all problems are raised together as one
InputError located at the feeds in the YAML file, as the loader reports its own.

The ranges of all feeds and the inline ones together must stay within the floor of
``reconciler.desired.ranges`` (judged as the allowlist collapses them): feeds that each look
narrow may together, or with the inline ranges, allow every address.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from reconciler.allowlist.feed_values import FeedError
from reconciler.allowlist.feeds import read_feed
from reconciler.allowlist.fetch import FetchOptions, fetch
from reconciler.desired.loader import broad_ranges
from reconciler.desired.model import Desired, Feed
from reconciler.desired.ranges import too_broad
from reconciler.errors import Diagnostic, InputError, Location

_MAX_THREADS = 8  # feeds are few; each fetch mostly waits on the network


@dataclass(frozen=True)
class FeedReport:
    """What one feed contributed, for the plan to show: ``sha256`` is of the bytes
    actually read (for a path feed without a pin, the value to pin)."""

    format: str
    source: str
    sha256: str
    ranges: int
    filters: Mapping[str, tuple[str, ...]]


def resolve_feeds(
    desired: Desired, options: FetchOptions
) -> tuple[Desired, tuple[FeedReport, ...]]:
    """``desired`` with the feeds' ranges after its inline ranges (in order, without
    duplicates) and no feeds left, and a report per feed. Without feeds: unchanged,
    and nothing is read."""
    if not desired.feeds:
        return desired, ()
    with ThreadPoolExecutor(
        max_workers=min(_MAX_THREADS, len(desired.feeds)), thread_name_prefix="mailctl-feed"
    ) as pool:
        outcomes = list(pool.map(lambda feed: _read(feed, options), desired.feeds))
    errors: list[Diagnostic] = []
    ranges = dict.fromkeys(desired.connection_ranges)
    origins = dict.fromkeys(desired.connection_ranges, "ranges")
    reports: list[FeedReport] = []
    for feed, outcome in zip(desired.feeds, outcomes, strict=True):
        if isinstance(outcome, FeedError):
            message = f"{feed.format} feed {feed.source}: {outcome.message}"
            errors.append(Diagnostic(location(feed), message, outcome.hint))
            continue
        found, sha256 = outcome
        ranges.update(dict.fromkeys(found))
        for network in found:
            origins.setdefault(network, f"{feed.format} feed {feed.source}")
        reports.append(FeedReport(feed.format, feed.source, sha256, len(found), feed.filters))
    if errors:
        raise InputError(errors)
    place = _place(desired.connection_ips_label, "connection_ips")
    broad = [
        Diagnostic(place, *broad_ranges(problem, origins.__getitem__))
        for problem in too_broad(ranges)
    ]
    if broad:
        raise InputError(broad)
    # model_copy: the domains are already validated, and re-validating thousands of
    # them to change two fields would cost more than reading the feeds.
    resolved = desired.model_copy(update={"connection_ranges": tuple(ranges), "feeds": ()})
    return resolved, tuple(reports)


def _read(feed: Feed, options: FetchOptions) -> tuple[tuple[str, ...], str] | FeedError:
    try:
        fetched = fetch(feed, options)
        return read_feed(feed.format, fetched.data, feed.filters), fetched.sha256
    except FeedError as error:
        return error


def location(feed: Feed) -> Location:
    """The feed's place in its YAML file, from its ``file:line:column`` label (the
    file name may itself hold colons: only the last two fields are numbers)."""
    return _place(feed.label, feed.source)


def _place(label: str, fallback: str) -> Location:
    file, _, rest = label.rpartition(":")
    name, _, line = file.rpartition(":")
    if name and line.isdigit() and rest.isdigit():
        return Location(name, int(line), int(rest))
    return Location(label or fallback)

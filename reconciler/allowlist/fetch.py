"""A feed's bytes, from a file or an ``https://`` URL, checked against its sha256 pin.

The pin protects the firewall: a feed whose bytes changed (a new release by its
publisher, or anyone in between) changes nothing until a person reviews it and updates
the pin. A URL feed without a pin is refused before any connection; a feed file is
read without following a link put in its place, and only when it is a regular file of
at most ``max_bytes``. How a URL is fetched is :mod:`reconciler.allowlist.download`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.allowlist.download import download, too_big
from reconciler.allowlist.feed_values import FeedError
from reconciler.desired.model import Feed
from reconciler.net.resolver import Resolver, pinned_resolver, system_resolver

DEFAULT_TIMEOUT = 30.0
MAX_BYTES = 64 * 1024 * 1024  # the AWS feed, the largest, is under 3 MiB


@dataclass(frozen=True)
class FetchOptions:
    """How to fetch URL feeds; the names follow ``reconciler.app.options.CheckOptions``.

    ``timeout`` bounds a whole fetch (resolve, connect, TLS, request, body), so a
    server that answers slowly cannot stall a plan. ``pinned`` maps host names to
    addresses (``--resolve``); other names go to ``resolver`` (default: the system's).
    Pinned addresses are judged by the guard like any other.
    """

    timeout: float = DEFAULT_TIMEOUT
    allow_private: bool = False
    ca_file: Path | None = None
    pinned: Mapping[str, Sequence[str]] = field(default_factory=dict)
    resolver: Resolver | None = None
    max_bytes: int = MAX_BYTES

    def name_resolver(self) -> Resolver:
        return pinned_resolver(self.pinned, self.resolver or system_resolver)


@dataclass(frozen=True)
class Fetched:
    """A feed's bytes and their SHA-256 (hex), checked against the pin if it has one."""

    data: bytes
    sha256: str


def fetch(feed: Feed, options: FetchOptions) -> Fetched:
    """The feed's bytes; raises FeedError (with a hint) when they cannot be had or do
    not match the pin. Blocking: call it from a thread, not from an event loop."""
    if feed.is_url:
        if feed.sha256 is None:
            raise FeedError(
                "a feed read from a URL needs a sha256 pin",
                "add sha256: with the SHA-256 of the reviewed feed (sha256sum prints it)",
            )
        data = download(feed.source, options)
    else:
        data = read_file(Path(feed.source), options.max_bytes)
    actual = hashlib.sha256(data).hexdigest()
    if feed.sha256 is not None and actual != feed.sha256.lower():
        raise FeedError(
            f"sha256 mismatch: the pin is {feed.sha256.lower()}, the feed read is {actual}",
            "the feed changed since it was pinned: review the new feed (which ranges it "
            f"adds and drops), then set sha256: {actual}",
        )
    return Fetched(data, actual)


def read_file(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """A feed file's bytes, at most ``max_bytes``. ``path`` is the loader's, links
    resolved and judged; a link put in its place since is refused, not followed."""
    try:
        # O_NONBLOCK: a FIFO in the file's place is refused below, not waited on.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise FeedError(
            "no such file", "a feed's path is relative to the YAML file that names it"
        ) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise FeedError("cannot read the feed: it is now a symbolic link") from None
        raise FeedError(f"cannot read the feed: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        # Only regular files: a FIFO or a device would block or never end.
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise FeedError(f"cannot read the feed: {what}", "path: names a feed file")
        if info.st_size > max_bytes:
            raise too_big(max_bytes)
        with os.fdopen(os.dup(fd), "rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as error:
        raise FeedError(f"cannot read the feed: {error.strerror or error}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise too_big(max_bytes)
    return data

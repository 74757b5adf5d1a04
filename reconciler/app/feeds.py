"""Reading the feeds of connection IPs a desired state names (plan and allowlist)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.desired.model import Desired
from reconciler.plan.document import FeedRead

if TYPE_CHECKING:
    from reconciler.allowlist.fetch import FetchOptions


def feeds_read(
    desired: Desired, fetch: FetchOptions | None
) -> tuple[Desired, tuple[FeedRead, ...]]:
    """``desired`` with its feeds read into its connection ranges (no I/O without feeds)."""
    if not desired.feeds:
        return desired, ()
    # Imported here: reading feeds needs TLS and HTTP, which validate never does.
    from reconciler.allowlist.fetch import FetchOptions
    from reconciler.allowlist.resolve import resolve_feeds

    resolved, reports = resolve_feeds(desired, fetch or FetchOptions())
    return resolved, tuple(
        FeedRead(
            format=r.format,
            source=_shown(r.source),
            sha256=r.sha256,
            ranges=r.ranges,
            filters={k: tuple(v) for k, v in r.filters.items()},
        )
        for r in reports
    )


def _shown(source: str) -> str:
    """A feed's path relative to the working folder when it is below it (plans are
    read by reviewers; a CI runner's absolute paths say nothing to them)."""
    if source.startswith("https://"):
        return source
    try:
        return str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        return source

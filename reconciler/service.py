"""The allowlist use cases and the reading of feeds, not yet in ``reconciler.app``.

The other use cases live in ``reconciler.app``, one module per command family.
Nothing here prints or exits.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.allowlist import rules
from reconciler.allowlist.rules import Allowlist, Origin
from reconciler.desired.credential_env import DEFAULT as DEFAULT_CREDENTIALS
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.loader import load
from reconciler.desired.model import Desired
from reconciler.desired.ranges import floor_text, too_broad
from reconciler.errors import MailctlError
from reconciler.plan.document import (
    FeedRead,
)
from reconciler.store.base import Store

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


def stored_allowlist(store: Store) -> Allowlist:
    """The allowlist of the stored state: what the firewall should let in now. A store
    whose ranges together break the floor of ``reconciler.desired.ranges`` (written before it
    existed, or by other means) gives none: no firewall file lets everyone in."""
    state = store.read()
    if state.lineage is None:
        raise MailctlError(
            f"{store.display_url}: the store is empty (nothing applied yet), so there is no "
            "stored allowlist; apply first, or preview with --from desired PATH"
        )
    for problem in too_broad(state.connection_ranges):
        raise MailctlError(
            f"{store.display_url}: the stored connection ranges allow too much: "
            f"{problem.describe()}; no allowlist was written. Apply a domains file whose "
            f"connection_ips stay within the floor ({floor_text(problem.version)})"
        )
    origin = Origin("stored", state.lineage, state.serial)
    return rules.build(state.connection_ranges, state.domains.values(), origin)


def desired_allowlist(
    path: Path,
    store: Store,
    fetch: FetchOptions | None,
    credentials: CredentialPolicy = DEFAULT_CREDENTIALS,
) -> Allowlist:
    """The allowlist the desired state at ``path`` would make (feeds read), as a preview;
    its headers name the store revision it was made against."""
    desired, _ = feeds_read(load(path, credentials).desired, fetch)
    state = store.read()
    origin = Origin("desired", state.lineage, state.serial)
    return rules.build(desired.connection_ranges, desired.domains.values(), origin)

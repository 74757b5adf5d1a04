"""``plan``: what applying a desired state would change, live-checked and sealed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import __version__
from reconciler.app import planfile
from reconciler.app.check import check_changes
from reconciler.app.options import NO_THRESHOLDS, CheckOptions, Progress, Thresholds, decided
from reconciler.app.store import opened
from reconciler.app.targeting import EVERYTHING, Selection, chosen, narrow
from reconciler.desired.credential_env import DEFAULT as DEFAULT_CREDENTIALS
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.loader import load
from reconciler.desired.state import StoredState
from reconciler.errors import Diagnostic
from reconciler.plan import status
from reconciler.plan.builder import assemble, with_checks
from reconciler.plan.checking import skipped
from reconciler.plan.decisions import Decisions
from reconciler.plan.document import PlanDocument, Source
from reconciler.plan.flatstate import FlatState, rows_of
from reconciler.plan.signing import PlanKey
from reconciler.store.base import Store

if TYPE_CHECKING:
    from reconciler.allowlist.fetch import FetchOptions


@dataclass(frozen=True)
class PlanRequest:
    """Plan the desired state at ``path`` against the store at ``state_url``.

    ``lifted``: the gates the user overrides. ``checks=None``: the live checks are
    skipped, and the plan records it. The lifted gates and how ``checks`` (else
    ``fetch``) reach servers, and the mass-change ``thresholds``, are recorded as the
    plan's decisions. ``targeting``: plan only the changes of these domains (as
    :mod:`reconciler.plan.targeting` says), also recorded. ``credentials``:
    the variables a domain may name for its login. ``key``: sign the plan with it.
    ``out``: also save the plan there.
    """

    path: Path
    state_url: str | None = None
    lifted: frozenset[str] = frozenset()
    checks: CheckOptions | None = None
    fetch: FetchOptions | None = None
    thresholds: Thresholds = NO_THRESHOLDS
    targeting: Selection = EVERYTHING
    credentials: CredentialPolicy = DEFAULT_CREDENTIALS
    key: PlanKey | None = None
    out: Path | None = None


@dataclass(frozen=True)
class Planned:
    """A plan, the warnings of the input it was made from, and where it was saved."""

    document: PlanDocument
    warnings: tuple[Diagnostic, ...] = ()
    saved: Path | None = None

    def status(self, *, detailed: bool = False) -> int:
        """The plan's exit status: :func:`reconciler.plan.status.exit_status`."""
        return status.exit_status(self.document, detailed=detailed)


def plan(
    request: PlanRequest, *, store: Store | None = None, progress: Progress | None = None
) -> Planned:
    """Read the feeds of the desired state, diff it against the store (``store``, else
    the one at ``request.state_url``), then live-check every endpoint the plan would
    create or change. Reads the store, never writes it; saves the plan when asked."""
    with opened(request.state_url, store) as current:
        planned = made(request, current, progress)
    if request.out is not None:
        planfile.write(planned.document, request.out)
        return Planned(planned.document, planned.warnings, request.out)
    return planned


def made(request: PlanRequest, store: Store, progress: Progress | None = None) -> Planned:
    """The plan of ``request`` against ``store`` (not saved)."""
    # Imported here: reading feeds needs TLS and HTTP only when a domains file has feeds.
    from reconciler.app.feeds import feeds_read

    decisions = decided(request.lifted, request.checks or request.fetch, request.thresholds)
    loaded = load(request.path, request.credentials)
    stored: StoredState | FlatState
    last_applied: StoredState | FlatState | None
    if request.targeting:
        whole = stored = store.read()
        names = chosen(request.targeting, loaded.desired, whole)  # before any download
        desired, feeds = feeds_read(loaded.desired, request.fetch)
        target, targeting = narrow(names, desired, whole)
        decisions = decisions.model_copy(update={"targeting": targeting})
        target_rows = None
        last_applied = store.last_applied() if stored.lineage else None
    else:
        # The whole desired state is the target: the store is read as rows, compared
        # with the target's, and only the domains that differ become models.
        target_rows = rows_of(loaded.desired.domains)  # feeds change ranges, not domains
        stored = store.read_flat(target_rows)
        target, feeds = feeds_read(loaded.desired, request.fetch)
        last_applied = store.last_applied_flat(stored.rows) if stored.lineage else None
    # Not build_plan: its gate verdicts and checksum would be made again with the checks.
    document = assemble(
        target=target,
        stored=stored,
        source=Source(
            kind="desired", path=str(request.path), files=loaded.files, checksum="", feeds=feeds
        ),
        mailctl_version=__version__,
        last_applied=last_applied,
        inbox_counts=store.inbox_counts() if stored.lineage else {},
        places=loaded.places,
        store_exists=stored.lineage is not None,
        target_rows=target_rows,
    )
    checked = with_evidence(document, decisions, request.checks, progress, request.key)
    return Planned(checked, tuple(loaded.warnings))


def with_evidence(
    document: PlanDocument,
    decisions: Decisions,
    options: CheckOptions | None,
    progress: Progress | None,
    key: PlanKey | None,
) -> PlanDocument:
    """``document`` with the live checks of its changes (or their skipping, when
    ``options`` is None), ``decisions`` recorded, and its gates judged on them with the
    gates ``decisions`` lift and its thresholds; sealed with ``key``."""
    if options is None:
        evidence = skipped("--no-checks")
    else:
        evidence = check_changes(document, options, progress)
    decided = document.model_copy(update={"decisions": decisions})
    return planfile.sealed(with_checks(decided, evidence, decisions.lifted), key)

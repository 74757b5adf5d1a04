"""``show``, ``history`` and ``export``: read the store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.app.store import opened
from reconciler.desired.state import StoredState
from reconciler.errors import MailctlError
from reconciler.plan.status import EXIT_OK
from reconciler.store.base import HistoryEntry


@dataclass(frozen=True)
class ReadOptions:
    """Read the store at ``state_url`` (None: ``$MAILCTL_STATE`` or the default file)."""

    state_url: str | None = None


@dataclass(frozen=True)
class Shown:
    state: StoredState
    inboxes: dict[str, int]  # connected inboxes per domain
    where: str  # the store's URL, without its password
    status: int = EXIT_OK


@dataclass(frozen=True)
class History:
    entries: tuple[HistoryEntry, ...]  # oldest first
    status: int = EXIT_OK


@dataclass(frozen=True)
class ExportOptions:
    """Export the stored state as a domains.yaml, into ``out`` when given."""

    out: Path | None = None
    state_url: str | None = None


@dataclass(frozen=True)
class Exported:
    text: str  # the domains.yaml
    out: Path | None  # where it was written (None: nowhere, the caller shows it)
    status: int = EXIT_OK


def show(options: ReadOptions) -> Shown:
    """The stored state and how many inboxes each domain has."""
    with opened(options.state_url) as store:
        state = store.read()
        counts = store.inbox_counts() if state.lineage else {}
        return Shown(state, counts, store.display_url)


def history(options: ReadOptions) -> History:
    """Every apply and rollback of the store."""
    with opened(options.state_url) as store:
        return History(tuple(store.history()))


def export(options: ExportOptions) -> Exported:
    """The stored state as a domains.yaml (planning it shows no changes), written
    atomically to ``options.out`` when given."""
    with opened(options.state_url) as store:
        # Imported here: ruamel.yaml and the writer cost start-up that show never needs.
        from reconciler.desired.to_yaml import to_yaml
        from reconciler.output.atomic import write_atomic

        text = to_yaml(store.read())
    if options.out is not None:
        try:
            write_atomic(options.out, text.encode())
        except OSError as exc:
            raise MailctlError(f"cannot write {options.out}: {exc.strerror}") from None
    return Exported(text, options.out)

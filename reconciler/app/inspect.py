"""``show``, ``history`` and ``export``: read the store; ``show PLAN``: read a saved plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.app import planfile
from reconciler.app.overwrite import exported_by_mailctl, refuse_foreign
from reconciler.app.store import applied
from reconciler.desired.state import StoredState
from reconciler.errors import MailctlError
from reconciler.plan import signing
from reconciler.plan.document import PlanDocument
from reconciler.plan.signing import PlanKey, Trust
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
    """Export the stored state (or the state applied at ``serial``) as a domains.yaml,
    into ``out`` when given; ``force`` writes over a file mailctl did not produce."""

    out: Path | None = None
    state_url: str | None = None
    serial: int | None = None
    force: bool = False


@dataclass(frozen=True)
class Exported:
    text: str  # the domains.yaml
    out: Path | None  # where it was written (None: nowhere, the caller shows it)
    status: int = EXIT_OK


@dataclass(frozen=True)
class ShowPlanOptions:
    """Read the saved plan at ``plan``; with ``key`` its signature, if it has one, must
    verify."""

    plan: Path
    key: PlanKey | None = None


@dataclass(frozen=True)
class ShownPlan:
    document: PlanDocument  # as saved: checksum (and, with the key, signature) verified
    trust: Trust  # how far its evidence is trusted, as apply would judge it
    status: int = EXIT_OK  # shown, not judged: its apply is judged again against the store


def show_plan(options: ShowPlanOptions) -> ShownPlan:
    """The saved plan at ``options.plan``, read as apply reads it (``planfile.read``):
    InputError when it is no plan, is from a newer mailctl, was edited, or is signed and
    ``options.key`` does not verify it. Opens no store."""
    document = planfile.read(options.plan, options.key)
    return ShownPlan(document, signing.verify(document, options.key))


def show(options: ReadOptions) -> Shown:
    """The stored state and how many inboxes each domain has; NoStore when nothing was
    applied at ``options.state_url``."""
    with applied(options.state_url) as (store, state):
        return Shown(state, store.inbox_counts(), store.display_url)


def history(options: ReadOptions) -> History:
    """Every apply and rollback of the store; NoStore when there is none."""
    with applied(options.state_url) as (store, _):
        return History(tuple(store.history()))


def export(options: ExportOptions) -> Exported:
    """The stored state, or the state as applied at ``options.serial`` (UnknownSerial
    if the store has no such revision), as a domains.yaml (planning it shows no
    changes), written atomically to ``options.out`` when given. NoStore when nothing
    was applied; nothing is written over a file mailctl did not produce unless
    ``options.force``."""
    with applied(options.state_url) as (store, state):
        # Imported here: ruamel.yaml and the writer cost start-up that show never needs.
        from reconciler.desired.to_yaml import to_yaml
        from reconciler.output.atomic import write_atomic

        if options.serial is not None:
            state = store.revision(options.serial)
        text = to_yaml(state)
    if options.out is not None:
        refuse_foreign(options.out, exported_by_mailctl, force=options.force, what="the export")
        try:
            write_atomic(options.out, text.encode())
        except OSError as exc:
            raise MailctlError(f"cannot write {options.out}: {exc.strerror}") from None
    return Exported(text, options.out)

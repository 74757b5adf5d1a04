"""``allowlist``: the firewall allowlists of the static-IP domains, from the store or
as a preview of a domains file, written into a managed folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from reconciler.allowlist import rules
from reconciler.allowlist.formats import Format
from reconciler.allowlist.rules import Allowlist, Origin
from reconciler.app.feeds import feeds_read
from reconciler.app.store import opened, refuse_if_empty
from reconciler.desired.credential_env import DEFAULT as DEFAULT_CREDENTIALS
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.loader import load
from reconciler.desired.ranges import floor_text, too_broad
from reconciler.errors import MailctlError
from reconciler.plan.status import EXIT_OK
from reconciler.store.base import Store

if TYPE_CHECKING:
    from reconciler.allowlist.fetch import FetchOptions


@dataclass(frozen=True)
class AllowlistOptions:
    """Write the allowlists of ``origin`` into ``out`` in ``formats``: ``stored`` reads
    the store at ``state_url``; ``desired`` reads the domains file or folder ``path``
    (its feeds downloaded with ``fetch``) and names the store revision it was made
    against."""

    out: Path
    formats: tuple[Format, ...]
    origin: Literal["stored", "desired"] = "stored"
    path: Path | None = None
    state_url: str | None = None
    fetch: FetchOptions | None = None
    credentials: CredentialPolicy = DEFAULT_CREDENTIALS


@dataclass(frozen=True)
class AllowlistWritten:
    allowlist: Allowlist
    out: Path
    changes: str  # what the writer did, in words ("wrote 3 files, 2 unchanged, …")
    status: int = EXIT_OK


def write_allowlists(options: AllowlistOptions) -> AllowlistWritten:
    """Build the allowlist ``options`` ask for and bring ``options.out`` to its files."""
    with opened(options.state_url) as store:
        if options.origin == "desired":
            if options.path is None:
                raise MailctlError("an allowlist --from desired needs the domains file or folder")
            chosen = desired_allowlist(options.path, store, options.fetch, options.credentials)
        else:
            chosen = stored_allowlist(store)
    return AllowlistWritten(chosen, options.out, write(chosen, options.out, options.formats))


def write(allowlist: Allowlist, out: Path, formats: tuple[Format, ...]) -> str:
    """Write ``allowlist`` into ``out``; what changed, in words."""
    from reconciler.allowlist import writer

    return writer.write(out, allowlist, formats).describe()


def stored_allowlist(store: Store) -> Allowlist:
    """The allowlist of the stored state: what the firewall should let in now. A store
    whose ranges together break the floor of ``reconciler.desired.ranges`` (written before it
    existed, or by other means) gives none: no firewall file lets everyone in."""
    state = store.read()
    refuse_if_empty(store, state, "or preview a domains file with --from desired PATH")
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

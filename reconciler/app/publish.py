"""Writing the stored state's allowlists after an apply, so CI publishes them in the
same job."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.allowlist.formats import Format
from reconciler.allowlist.rules import Allowlist
from reconciler.allowlist.writer import Report
from reconciler.errors import MailctlError
from reconciler.store.base import Store


@dataclass(frozen=True)
class Publish:
    """Write the allowlists of the stored state into ``out`` in ``formats``."""

    out: Path
    formats: tuple[Format, ...]


@dataclass(frozen=True)
class Published:
    """What was written (``allowlist`` None: nothing, the store is empty)."""

    out: Path
    allowlist: Allowlist | None = None
    report: Report | None = None


def publish(store: Store, publish: Publish | None) -> Published | None:
    """Write the stored state's allowlists (when asked). The store is already written:
    a failure here says so, and mailctl allowlist can be run again."""
    if publish is None:
        return None
    if store.read().lineage is None:
        return Published(publish.out)
    from reconciler.allowlist import writer
    from reconciler.app.allowlist import stored_allowlist

    try:
        allowlist = stored_allowlist(store)
        report = writer.write(publish.out, allowlist, publish.formats)
    except MailctlError as exc:
        raise MailctlError(
            "the store is as applied, but writing the allowlists failed: "
            f"{exc}; once that is mended, write them with: {_again(publish.out, publish.formats)}"
            " (and the same --state)"
        ) from exc
    return Published(publish.out, allowlist, report)


def _again(out: Path, formats: Sequence[Format]) -> str:
    return f"mailctl allowlist --out {out} --format {','.join(f.name for f in formats)}"

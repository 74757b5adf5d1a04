"""Shared by the tests of saved-plan decisions and mass-change thresholds: ten domains
in a domains file (some of them moved), a review that always agrees, and what the store
holds afterwards."""

from __future__ import annotations

from pathlib import Path

from reconciler.app.plan import Planned
from reconciler.plan.signing import PlanKey
from reconciler.store.open import open_store

KEY_TEXT = "plan-and-apply-jobs-share-this-key!"
KEY = PlanKey(KEY_TEXT.encode())
NAMES = [f"d{n:02}.example" for n in range(10)]


def domains_file(path: Path, moved: int = 0) -> Path:
    """Ten domains; the first ``moved`` have their IMAP host moved."""
    lines = ["version: 1", "domains:"]
    for n, name in enumerate(NAMES):
        host = f"imap.new.{name}" if n < moved else f"imap.{name}"
        lines += [f"  {name}:", f"    imap: {{host: {host}}}", f"    smtp: {{host: smtp.{name}}}"]
    path.write_text("\n".join(lines) + "\n")
    return path


class Yes:
    """A review that shows nothing and agrees."""

    def show(self, planned: Planned) -> None:
        pass

    def confirm(self, where: str) -> bool:
        return True


def stored_hosts(state: str) -> dict[str, str]:
    """The IMAP host of every stored domain."""
    store = open_store(state)
    try:
        return {name: d.imap.host for name, d in store.read().domains.items()}
    finally:
        store.close()

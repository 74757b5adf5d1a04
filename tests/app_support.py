"""A store with applied domains, for tests that call the use cases directly."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from reconciler.desired.model import Domain
from reconciler.store.open import open_store
from tests.store.requests import request


def seeded(folder: Path, domains: Iterable[Domain], ranges: Iterable[str] = ()) -> str:
    """The URL of a new SQLite store in ``folder`` with ``domains`` and ``ranges``
    applied once (serial 1)."""
    url = f"sqlite:///{folder / 'state.db'}"
    store = open_store(url)
    try:
        store.apply(request(store.read(), domains, ranges, actor="seed"))
    finally:
        store.close()
    return url

"""Opening the store a use case works on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.store.base import Store


@contextmanager
def opened_store(state_url: str | None) -> Iterator[Store]:
    """The store at ``state_url``; None means ``$MAILCTL_STATE``, else the SQLite file
    ``.mailctl/state.db`` in the current folder. Closed when the block ends."""
    from reconciler.store.open import open_store, resolve_url

    store = open_store(resolve_url(state_url, os.environ, Path.cwd()))
    try:
        yield store
    finally:
        store.close()

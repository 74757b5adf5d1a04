"""The store a use case works on: the one it was given, or the one its URL names."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.store.base import Store


@contextmanager
def opened(state_url: str | None, given: Store | None = None) -> Iterator[Store]:
    """``given`` as it is (its owner closes it), else the store at ``state_url``
    (default: ``$MAILCTL_STATE``, else the current folder's), closed afterwards."""
    if given is not None:
        yield given
        return
    from reconciler.store.open import open_store, resolve_url

    store = open_store(resolve_url(state_url, os.environ, Path.cwd()))
    try:
        yield store
    finally:
        store.close()

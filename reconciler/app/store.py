"""The store a use case works on: the one it was given, or the one its URL names.

Every command that reads what was applied opens its store with :func:`applied`: a
store that nothing was ever applied to (a mistyped ``--state``, a wrong
``MAILCTL_STATE``) is then the same error everywhere, and never reads as an empty
state that a command would go on to print, export or write files from.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.desired.state import StoredState
from reconciler.errors import MailctlError
from reconciler.store.base import Store, StoreHead


class NoStore(MailctlError):
    """The store that was named holds nothing: no apply ever wrote to it."""

    def __init__(self, where: str, also: str = "") -> None:
        self.where = where
        super().__init__(
            f"no store at {where}: nothing has been applied there yet; "
            "check --state / MAILCTL_STATE" + (f"; {also}" if also else "")
        )


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


@contextmanager
def applied(
    state_url: str | None, given: Store | None = None, *, also: str = ""
) -> Iterator[tuple[Store, StoredState]]:
    """As :func:`opened`, with the stored state read; raises :class:`NoStore` (naming
    the URL without its password) when nothing was ever applied there (``also``: what
    else the command can do, added to the message). Reading creates nothing, so a
    mistyped SQLite path leaves no file behind."""
    with opened(state_url, given) as store:
        state = store.read()
        refuse_if_empty(store, state, also)
        yield store, state


def refuse_if_empty(store: Store, state: StoredState | StoreHead, also: str = "") -> None:
    """:class:`NoStore` when ``state`` (read from ``store``, or only its head: the cheap
    read when the content is not needed) has no lineage."""
    if state.lineage is None:
        raise NoStore(store.display_url, also)

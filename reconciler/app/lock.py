"""``lock status`` and ``lock release``: the store's lock seen, and a stuck one freed."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.app.store import opened
from reconciler.store.base import LockNotReleasable, LockState, Store

__all__ = ["LockNotReleasable", "LockRequest", "LockState", "lock_status", "release_lock"]


@dataclass(frozen=True)
class LockRequest:
    """The lock of the store at ``state_url`` (default: ``$MAILCTL_STATE``, else the
    current folder's store)."""

    state_url: str | None = None


def lock_status(request: LockRequest, *, store: Store | None = None) -> LockState:
    """Who holds the store's lock now, as the holder recorded itself."""
    with opened(request.state_url, store) as current:
        return current.lock_state()


def release_lock(request: LockRequest, holder_id: str, *, store: Store | None = None) -> LockState:
    """Free the lock held by ``holder_id``; the state it was in (its holder). StoreError
    if the lock is free or held by another now; LockNotReleasable when the backend
    cannot free it from here (a SQLite file lock of a live process), saying who can."""
    with opened(request.state_url, store) as current:
        before = current.lock_state()
        current.release_lock(holder_id)
        return before

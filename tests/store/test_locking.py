"""The lock excludes other processes, names its holder, and dies with its holder.

The holder is a real separate process (tests/store/child.py); the waiter is this test
process. Both backends.
"""

from __future__ import annotations

import re
import socket
import time

import pytest

from reconciler.store.base import LockTimeout, Store
from tests.store.lock_holder import holder, release


def test_a_waiter_times_out_naming_the_holder_and_gets_the_lock_once_released(
    store: Store, store_url: str
) -> None:
    with holder(store_url, "alice@ci") as alice:
        started = time.monotonic()
        with pytest.raises(LockTimeout) as timed_out, store.lock("bob", timeout=1.0):
            pass
        assert 1.0 <= time.monotonic() - started < 5
        assert timed_out.value.holder == f"alice@ci (pid {alice.pid} on {socket.gethostname()})"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", timed_out.value.since)
        assert timed_out.value.waited == 1.0
        assert "raise --lock-timeout" in str(timed_out.value)
        release(alice)
    with store.lock("bob", timeout=1.0):
        pass


def test_a_waiter_takes_the_lock_as_soon_as_the_holder_lets_go(
    store: Store, store_url: str
) -> None:
    with holder(store_url, "alice", "0.5"):
        started = time.monotonic()
        with store.lock("bob", timeout=30):
            waited = time.monotonic() - started
    assert 0.2 <= waited < 10


def test_a_holder_killed_with_sigkill_does_not_leave_the_lock_held(
    store: Store, store_url: str
) -> None:
    with holder(store_url, "alice") as alice:
        alice.kill()  # SIGKILL: no cleanup code runs in the holder
        alice.wait(timeout=30)
    started = time.monotonic()
    with store.lock("bob", timeout=5):
        assert time.monotonic() - started < 4

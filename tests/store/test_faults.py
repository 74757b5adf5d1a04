"""An apply killed with SIGKILL at any moment leaves the old state or the new one.

An applier process (tests/store/child.py ``appliers``) reads the store and applies the
next generation of 3,000 domains (creates, updates and deletes). It is killed after a
random delay drawn so that kills land before the apply (while it reads the store and
builds the request), during the transaction, and after the commit. After each kill the
store must be at the old serial or the new one, hold exactly the snapshot recorded for
that serial, and have no history beyond it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from reconciler.store.base import Store
from tests.store import dbtools

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = 3_000
KILLS = 20


class Appliers:
    """Talks to the fork server: one applier process per ``start()``."""

    def __init__(self, server: subprocess.Popen[str]) -> None:
        assert server.stdin is not None and server.stdout is not None
        self.stdin, self.stdout = server.stdin, server.stdout
        assert self.stdout.readline().strip() == "ready"

    def start(self) -> int:
        self.stdin.write("go\n")
        self.stdin.flush()
        word, pid = self.stdout.readline().split()
        assert word == "pid"
        return int(pid)

    def kill(self, pid: int) -> list[str]:
        """SIGKILL the applier (which never exits by itself); what it had printed."""
        os.kill(pid, signal.SIGKILL)
        printed = []
        while not (line := self.stdout.readline().strip()).startswith("exit"):
            printed.append(line)
        return printed

    def until_done(self, started: float) -> tuple[float, float]:
        """Seconds from ``started`` until the applier printed "begin" and "done"."""
        assert self.stdout.readline().strip() == "begin"
        begun = time.monotonic() - started
        assert self.stdout.readline().strip() == "done"
        return begun, time.monotonic() - started


@contextmanager
def appliers(url: str) -> Iterator[Appliers]:
    with subprocess.Popen(
        [sys.executable, "-m", "tests.store.child", "appliers", url, str(DOMAINS)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            yield Appliers(server)
        finally:
            server.kill()


def wait_until_postgresql_ended_its_session(url: str, pid: int) -> None:
    """The server notices a dead client only when it next reads from it; until then a
    COMMIT already sent may still land. Wait until the applier's session is gone."""
    if dbtools.sqlite_path(url) is not None:
        return
    deadline = time.monotonic() + 30
    with dbtools.connect(url) as conn:
        while time.monotonic() < deadline:
            alive = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": f"mailctl (pid {pid})"},
            ).scalar_one()
            if not alive:
                return
            time.sleep(0.02)
    pytest.fail(f"the session of killed pid {pid} did not end")


def assert_whole(store: Store, old_serial: int) -> bool:
    """The store is at the old or the new serial and exactly as recorded; True if new."""
    state = store.read()
    assert state.serial in (old_serial, old_serial + 1)
    assert store.revision(state.serial) == state
    assert [entry.serial for entry in store.history()][-1] == state.serial
    return state.serial == old_serial + 1


def test_an_apply_killed_at_any_moment_leaves_the_old_or_the_new_state(
    store: Store, store_url: str
) -> None:
    with appliers(store_url) as server:
        # Calibrate on this machine: when an applier begins and ends its apply, measured
        # on the second one (the first has nothing to read, update or delete).
        for _ in range(2):
            started = time.monotonic()
            pid = server.start()
            begun, done = server.until_done(started)
            assert server.kill(pid) == []
        assert store.read().serial == 2
        # Aim a third of the kills at each phase; timing jitter moves some across.
        windows = [(0.0, begun), (begun, done), (done, 1.2 * done)]

        phases: Counter[tuple[str, bool]] = Counter()

        def kill_after(window: tuple[float, float]) -> None:
            old_serial = store.read().serial
            started = time.monotonic()
            pid = server.start()
            time.sleep(max(0.0, started + random.uniform(*window) - time.monotonic()))
            printed = server.kill(pid)
            wait_until_postgresql_ended_its_session(store_url, pid)
            phase = "after" if "done" in printed else "during" if "begin" in printed else "before"
            phases[phase, assert_whole(store, old_serial)] += 1

        for kill in range(KILLS):
            kill_after(windows[kill % 3])
        # On a loaded machine the calibrated windows drift; aim more kills into the
        # apply itself until one lands there (bounded), so the test never passes without
        # having killed an apply in flight.
        for _ in range(KILLS * 2):
            if phases["during", False] + phases["during", True]:
                break
            kill_after((begun, done))

    assert phases["during", False] + phases["during", True] >= 1, phases
    assert phases["before", True] == 0, phases  # nothing can be written before the apply
    assert phases["after", False] == 0, phases  # "done" is printed after the commit

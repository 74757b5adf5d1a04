"""The snapshot switched in is frozen out of the cyclic collector's reach (a full
collection would otherwise walk every domain's answers while no request is answered),
and what was frozen before is freed at the next switch: snapshots held by garbage
cycles when they were frozen do not pile up with every apply."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from reconciler.serve.app import store_source
from reconciler.serve.snapshot import Snapshot
from reconciler.store.open import open_store
from tests.store.requests import domain, request

SWITCHES = 4
BASE_PORT = 1000


def apply_port(url: str, port: int) -> None:
    """A new serial: example.com's IMAP port is ``port``."""
    store = open_store(url)
    try:
        store.apply(request(store.read(), [domain("example.com", port=port)]))
    finally:
        store.close()


def test_switched_in_snapshot_is_frozen_and_old_ones_are_freed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    source = store_source(url)
    olds: list[weakref.ref[Snapshot]] = []
    cycle: list[object] = []
    try:
        for n in range(SWITCHES + 2):
            apply_port(url, BASE_PORT + n)
            # A request still holding the snapshot in a reference cycle (its frame
            # kept by an exception's traceback) while the next one is switched in and
            # frozen; the cycle is garbage after that switch.
            assert source.poll()
            cycle = []  # dropped, not broken: only the collector can free it
            tracked = {id(o) for o in gc.get_objects()}
            assert id(source.current.rendered) not in tracked
            assert id(source.current.domains) not in tracked
            if n < SWITCHES:
                olds.append(weakref.ref(source.current))
                cycle = [source.current]
                cycle.append(cycle)
        assert [ref() for ref in olds] == [None] * SWITCHES
    finally:
        source.close()

"""``head()``: the cheap read a server polls, on every backend; and the read-only open
that such a server uses."""

from __future__ import annotations

import pytest

from reconciler.store.base import Store, StoreError
from reconciler.store.open import open_store
from tests.store.requests import domain, request


def test_head_follows_the_applies(store: Store) -> None:
    head = store.head()
    assert (head.lineage, head.serial, head.applied_at) == (None, 0, None)
    store.apply(request(store.read(), [domain("a.example")]))
    store.apply(request(store.read(), [domain("a.example"), domain("b.example")]))
    head = store.head()
    last = store.history()[-1]
    assert (head.lineage, head.serial, head.applied_at) == (
        store.read().lineage,
        2,
        last.applied_at,
    )
    store.connect_inbox("alice@a.example", "a.example")
    assert store.head() == head  # inboxes are runtime data, not a write of settings


def test_a_read_only_store_reads_and_refuses_to_write(store: Store, store_url: str) -> None:
    store.apply(request(store.read(), [domain("a.example")]))
    reader = open_store(store_url, read_only=True)
    try:
        assert reader.head().serial == 1
        assert set(reader.read().domains) == {"a.example"}
        with pytest.raises(StoreError):
            reader.apply(request(reader.read(), [domain("b.example")]))
    finally:
        reader.close()
    assert set(store.read().domains) == {"a.example"}

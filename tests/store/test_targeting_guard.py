"""The store's last guard of a targeted apply (``--domain``/``--exclude``): a request
that changes a domain outside its targeting, or the connection ranges under
``--domain``, is refused inside the write transaction and nothing is written. On
SQLite and PostgreSQL, through the store contract fixtures."""

from __future__ import annotations

import dataclasses

import pytest

from reconciler.desired.model import Domain
from reconciler.store.base import Store, StoreError
from tests.store import dbtools
from tests.store.requests import domain, request

RANGES = ("192.0.2.0/28",)
STORED = [domain("a.example"), domain("b.example"), domain("c.example")]
MOVED = [domain("a.example", port=143, security="starttls"), domain("b.example", port=1)]


@pytest.mark.parametrize(
    ("only", "excluded", "target", "ranges", "named"),
    [
        ({"a.example"}, set(), [*MOVED, STORED[2]], RANGES, "b.example changed outside"),
        (None, {"b.example"}, [*MOVED, STORED[2]], RANGES, "b.example changed outside"),
        ({"a.example"}, set(), STORED[:2], RANGES, "c.example changed outside"),
        ({"a.example"}, set(), [MOVED[0], *STORED[1:]], (), "connection ranges changed"),
    ],
    ids=["update-not-targeted", "update-excluded", "delete-not-targeted", "ranges"],
)
def test_a_change_outside_the_targeting_is_refused_and_nothing_written(
    store: Store,
    store_url: str,
    only: set[str] | None,
    excluded: set[str],
    target: list[Domain],
    ranges: tuple[str, ...],
    named: str,
) -> None:
    store.apply(request(store.read(), STORED, RANGES))
    bad = dataclasses.replace(
        request(store.read(), target, ranges),
        only=None if only is None else frozenset(only),
        excluded=frozenset(excluded),
    )
    before = dbtools.dump(store_url)
    with pytest.raises(StoreError, match=named):
        store.apply(bad)
    assert dbtools.dump(store_url) == before


def test_a_change_inside_the_targeting_is_written(store: Store) -> None:
    store.apply(request(store.read(), STORED, RANGES))
    good = dataclasses.replace(
        request(store.read(), [MOVED[0], *STORED[1:]], RANGES),
        only=frozenset({"a.example"}),
        excluded=frozenset({"b.example"}),
    )
    assert store.apply(good) == 2
    assert store.read().domains["a.example"].imap.port == 143

"""Rows inserted through the driver are the rows SQLAlchemy's insert stores (both
backends), and a domain's row is ``name`` then ``flatten``'s fields, in that order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from reconciler.desired.state import FIELDS, flatten
from reconciler.plan.flatstate import row_of
from reconciler.store import bulk
from reconciler.store.tables import domains, metadata
from tests.store import dbtools
from tests.store.requests import domain


def _rows() -> list[tuple[Any, ...]]:
    made = [
        domain("a.example"),
        domain("b.example", credentials=True, pin="ab" * 32, static=True, insecure=True),
        domain("c.example", port=143, security="starttls"),
    ]
    return [(d.name, *flatten(d).values()) for d in made]


def test_a_domains_row_is_the_name_then_flattens_fields_in_order() -> None:
    assert [column.key for column in domains.columns] == ["name", *FIELDS]


def test_the_driver_insert_stores_what_sqlalchemys_insert_stores(store_url: str) -> None:
    keys = [column.key for column in domains.columns]
    with dbtools.connect(store_url) as conn:
        metadata.create_all(conn, tables=[domains])
        bulk.insert_rows(conn, domains, _rows())
        ours = sorted(tuple(row) for row in conn.execute(select(domains)))
        conn.execute(domains.delete())
        conn.execute(insert(domains), [dict(zip(keys, row, strict=True)) for row in _rows()])
        theirs = sorted(tuple(row) for row in conn.execute(select(domains)))
    assert ours == theirs == sorted(_rows())


def test_no_rows_executes_nothing(store_url: str) -> None:
    with dbtools.connect(store_url) as conn:
        metadata.create_all(conn, tables=[domains])
        bulk.insert_rows(conn, domains, [])
        assert conn.execute(select(domains)).first() is None


def test_many_rows_are_all_stored_once(store_url: str) -> None:
    """Ten thousand rows and more (one COPY stream on PostgreSQL) are stored whole."""
    count = 10_003
    base = _rows()[0][1:]
    made = [(f"d{n:05d}.example", *base) for n in range(count)]
    with dbtools.connect(store_url) as conn:
        metadata.create_all(conn, tables=[domains])
        bulk.insert_rows(conn, domains, made)
        stored = [tuple(row) for row in conn.execute(select(domains).order_by(domains.c.name))]
    assert stored == made


def test_a_domains_row_is_flattens_values_in_order() -> None:
    made = [
        domain("a.example"),
        domain("b.example", credentials=True, pin="ab" * 32, static=True, insecure=True),
        domain("c.example", port=143, security="starttls"),
    ]
    for each in made:
        assert row_of(each) == tuple(flatten(each).values())
        assert [type(v) for v in row_of(each)] == [type(v) for v in flatten(each).values()]

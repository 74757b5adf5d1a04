"""Reading the stored state inside a read transaction: as models, or as rows.

As rows (:class:`reconciler.plan.flatstate.FlatState`), a domain whose row is exactly
a known row (the plan's target's: same values of the same types) is taken as it is,
without a model: such a row is valid (it is the row of a valid model) and its model
would equal the known one. Every other row is validated and turned into its model, in
one call, with the errors :func:`reconciler.store.rows.domains_from_rows` gives, so a
row mailctl never wrote is refused as when the whole state is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from reconciler.desired.model import Domain
from reconciler.desired.state import FIELDS, StoredState
from reconciler.plan.flatstate import FlatState, Row, row_of
from reconciler.store import rows
from reconciler.store.tables import DOMAIN_COLUMNS, connection_ranges, domains, history, state

_DOMAIN_SELECT = select(domains.c.name, *DOMAIN_COLUMNS)


def lineage(conn: Connection) -> str | None:
    return conn.execute(select(state.c.lineage)).scalar_one_or_none()


def _ranges(conn: Connection) -> tuple[str, ...]:
    return tuple(
        conn.execute(
            select(connection_ranges.c.cidr).order_by(connection_ranges.c.position)
        ).scalars()
    )


def _domain_rows(conn: Connection) -> list[Any]:
    # Sorted here, not by ORDER BY: collations differ between databases, Python's does not.
    return sorted(conn.execute(_DOMAIN_SELECT), key=lambda row: row[0])


def read_state(conn: Connection, display_url: str) -> StoredState:
    """The stored state as of this transaction; a store never applied reads empty."""
    head = conn.execute(select(state.c.lineage, state.c.serial)).first()
    if head is None:
        return StoredState()
    return StoredState(
        lineage=head.lineage,
        serial=head.serial,
        connection_ranges=_ranges(conn),
        domains=rows.domains_from_rows(_domain_rows(conn), display_url),
    )


def read_flat(conn: Connection, known: Mapping[str, Row], display_url: str) -> FlatState:
    """:func:`read_state` as rows, with models of the rows that are not ``known``'s."""
    head = conn.execute(select(state.c.lineage, state.c.serial)).first()
    if head is None:
        return FlatState(lineage=None, serial=0, connection_ranges=(), rows={})
    found = ((row[0], tuple(row[1:]), None) for row in _domain_rows(conn))
    flat, models = resolve(found, known, f"the domains table of {display_url}")
    return FlatState(
        lineage=head.lineage,
        serial=head.serial,
        connection_ranges=_ranges(conn),
        rows=flat,
        models=models,
    )


def last_applied_flat(
    conn: Connection, known: Mapping[str, Row], display_url: str
) -> FlatState | None:
    """The latest history snapshot as rows (None: nothing applied), with models of the
    rows that are not ``known``'s."""
    name = lineage(conn)
    if name is None:
        return None
    row = conn.execute(
        select(history.c.serial, history.c.snapshot).order_by(history.c.serial.desc()).limit(1)
    ).first()
    if row is None:
        return None
    ranges, items = rows.snapshot_items(row.snapshot, serial=row.serial, display_url=display_url)
    where = f"the history snapshot of serial {row.serial} in {display_url}"
    missing = object()  # a field the snapshot lacks: no known row has it
    found = ((n, tuple(fields.get(f, missing) for f in FIELDS), fields) for n, fields in items)
    flat, models = resolve(found, known, where)
    return FlatState(
        lineage=name, serial=row.serial, connection_ranges=ranges, rows=flat, models=models
    )


def _same(row: Row, other: Row) -> bool:
    # Equal values of the same types: 0 == False and 993.0 == 993, but a store holding
    # them was not written by mailctl and must be refused as the model read refuses it.
    return row == other and all(type(a) is type(b) for a, b in zip(row, other, strict=True))


def resolve(
    found: Iterable[tuple[Any, Row, dict[str, Any] | None]], known: Mapping[str, Row], where: str
) -> tuple[dict[str, Row], dict[str, Domain]]:
    """Rows (name, values in FIELDS order, and the fields as read when they are not
    just those values), sorted by name, made canonical: a known row as known, any other
    through its model (validated in one call; StoreCorrupt names ``where``). Returns
    the rows and the models made."""
    flat: dict[str, Row] = {}
    pending: list[tuple[Any, dict[str, Any]]] = []
    for name, row, fields in found:
        mine = known.get(name)
        if mine is not None and _same(row, mine):
            flat[name] = mine
        else:
            pending.append(
                (name, dict(zip(FIELDS, row, strict=True)) if fields is None else fields)
            )
    models = rows.domains_from_items(pending, where) if pending else {}
    for name, model in models.items():
        flat[name] = row_of(model)
    return dict(sorted(flat.items())), models

"""Conversions between the core's values and table rows, snapshots and history rows.

A history snapshot is the zlib-compressed canonical JSON of the state's content, with
the domains as columns: the sorted names, and for each field of ``flatten`` the values
in the order of the names::

    {"format": 1, "connection_ranges": [...], "names": ["example.com", ...],
     "fields": {"imap.host": ["imap.example.com", ...], "imap.port": [993, ...], ...}}

Columns rather than one object per domain: a fraction of the size, of the time to
encode and of the objects allocated, which matters for 10,000 domains. Decoding goes by
the recorded field names, and ``format`` lets a later mailctl change the layout and
still read old snapshots.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, get_args

from pydantic import ValidationError

from reconciler.desired.canonical_json import Encoded, Object, canonical_json, chunks
from reconciler.desired.model import Domain, Security
from reconciler.desired.state import FIELDS, StoredState, unflatten_many
from reconciler.store.base import HistoryEntry, HistoryRecord, StoreCorrupt

SNAPSHOT_FORMAT = 1


def now() -> str:
    """The current time as stored: ISO 8601 UTC to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def domain_row(name: str, row: Sequence[Any]) -> dict[str, Any]:
    """The ``domains`` row by column key of domain ``name`` given as its row
    (``flatten``'s values in :data:`FIELDS` order)."""
    return {"name": name, **dict(zip(FIELDS, row, strict=True))}


def domains_from_rows(rows: Iterable[Sequence[Any]], display_url: str) -> dict[str, Domain]:
    """Each row is (name, *DOMAIN_COLUMNS) in that order; built in one validation call.

    Raises StoreCorrupt naming the domain and column of a value mailctl cannot have
    written (a row edited by hand or by another tool), instead of failing later.
    """
    items = [(row[0], dict(zip(FIELDS, row[1:], strict=True))) for row in rows]
    return domains_from_items(items, f"the domains table of {display_url}")


_SECURITY = frozenset(get_args(Security))


def _refuse_unwritable(name: Any, fields: Mapping[str, Any], where: str) -> None:
    """The checks the resolved models leave to the loader, which a store row skipped."""
    problem = ""
    if not isinstance(name, str) or not name:
        problem = f"a domain name {name!r}"
    for protocol in ("imap", "smtp"):
        port, security = fields[f"{protocol}.port"], fields[f"{protocol}.security"]
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            problem = problem or f"{protocol}.port {port!r}, which is no port (1-65535)"
        if security not in _SECURITY:
            problem = problem or (
                f"{protocol}.security {security!r}, which is none of {', '.join(sorted(_SECURITY))}"
            )
    if problem:
        raise StoreCorrupt(
            f"{where} holds, for domain {name!r}, {problem}; mailctl never writes that. "
            "Restore the store from a backup, or correct the row"
        )


def domains_from_items(items: list[tuple[Any, dict[str, Any]]], where: str) -> dict[str, Domain]:
    """Each item is (name, ``flatten``-like fields); StoreCorrupt naming ``where``."""
    for name, fields in items:
        _refuse_unwritable(name, fields, where)
    try:
        return unflatten_many(items)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = ".".join(str(part) for part in first["loc"])
        raise StoreCorrupt(
            f"{where} holds a value mailctl never writes, at {path}: {first['msg']}. "
            "Restore the store from a backup, or correct the row"
        ) from None


def encode_snapshot(ranges: Sequence[str], domains: Mapping[str, Sequence[Any]]) -> bytes:
    """The history snapshot of a state; ``domains`` maps each name to its row
    (``flatten``'s values in :data:`FIELDS` order). Compressed as it is encoded, a
    column at a time, so the JSON of 100,000 domains is never held whole."""
    names = sorted(domains)
    # The rows turned into columns in C; each column is encoded by one call of the C
    # encoder (a tuple: a JSON array all the same), as its key is reached (canonical).
    columns = list(zip(*map(domains.__getitem__, names), strict=True)) or [()] * len(FIELDS)
    content = Object(_snapshot_pairs(ranges, names, dict(zip(FIELDS, columns, strict=True))))
    # The fastest level: half the time of the default, 2-21% larger (with the data).
    packer = zlib.compressobj(zlib.Z_BEST_SPEED)
    packed = [packer.compress(piece) for piece in chunks(content)]
    packed.append(packer.flush())
    return b"".join(packed)


def _snapshot_pairs(
    ranges: Sequence[str], names: list[str], columns: dict[str, tuple[Any, ...]]
) -> Iterator[tuple[str, Any]]:
    """The snapshot's members, in key order, each made when it is reached."""
    yield "connection_ranges", list(ranges)
    yield "fields", Object((f, Encoded(canonical_json(columns[f]))) for f in sorted(columns))
    yield "format", SNAPSHOT_FORMAT
    yield "names", Encoded(canonical_json(names))


def snapshot_items(
    blob: bytes, *, serial: int, display_url: str
) -> tuple[tuple[str, ...], list[tuple[Any, dict[str, Any]]]]:
    """The connection ranges and the (name, fields) of a snapshot, not yet validated."""
    try:
        content = json.loads(zlib.decompress(blob))
        if content.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"snapshot format {content.get('format')!r}")
        names, columns = content["names"], content["fields"]
        items = [
            (name, dict(zip(columns, values, strict=True)))
            for name, values in zip(names, zip(*columns.values(), strict=True), strict=True)
        ]
        ranges = tuple(content["connection_ranges"])
    except (zlib.error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreCorrupt(
            f"the history snapshot of serial {serial} in {display_url} cannot be read ({exc})"
        ) from exc
    return ranges, items


def decode_snapshot(blob: bytes, *, lineage: str, serial: int, display_url: str) -> StoredState:
    ranges, items = snapshot_items(blob, serial=serial, display_url=display_url)
    domains = domains_from_items(items, f"the history snapshot of serial {serial} in {display_url}")
    return StoredState(
        lineage=lineage,
        serial=serial,
        connection_ranges=ranges,
        domains=dict(sorted(domains.items())),
    )


def history_row(record: HistoryRecord, snapshot: bytes) -> dict[str, Any]:
    """The history columns that do not depend on the transaction (no serial, no time)."""
    return {
        "actor": record.actor,
        "commit": record.commit,
        "plan_checksum": record.plan_checksum,
        "kind": record.kind,
        "summary": json.dumps(_summary(record), sort_keys=True),
        # Compact: one entry per changed domain, so 10,000 of them on a large import.
        # Dictionaries and lists made by the plan, with no cycle to look for (15-25% faster).
        "changes": json.dumps(list(record.changes), separators=(",", ":"), check_circular=False),
        "snapshot": snapshot,
    }


# The restored serial of a rollback rides in the summary's JSON column: one integer
# more there needs no new column, and a mailctl that predates it ignores the key.
_RESTORED = "restored_serial"


def _summary(record: HistoryRecord) -> dict[str, int]:
    summary = dict(record.summary)
    if record.restored_serial is not None:
        summary[_RESTORED] = record.restored_serial
    return summary


def history_entry(row: Any) -> HistoryEntry:
    summary = json.loads(row.summary)
    restored = summary.pop(_RESTORED, None)
    return HistoryEntry(
        serial=row.serial,
        applied_at=row.applied_at,
        actor=row.actor,
        commit=row.commit,
        plan_checksum=row.plan_checksum,
        kind=row.kind,
        summary=summary,
        changes=json.loads(row.changes),
        restored_serial=restored,
    )

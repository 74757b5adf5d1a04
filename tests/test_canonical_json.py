"""Canonical JSON given in pieces is the same bytes as given at once: checksums and
signatures of plans and stores do not change with how they are computed."""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.desired.canonical_json import Array, Encoded, Object, canonical_json, chunks, digest
from reconciler.desired.state import FIELDS, flatten, state_checksum
from reconciler.plan.checking import skipped
from reconciler.plan.document import PlanDocument
from reconciler.plan.flatstate import rows_checksum, rows_of
from reconciler.plan.signing import PlanKey, sign, verify
from reconciler.store import rows
from tests.plan import case200

_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_json = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=30,
)


def _lazy(value: Any, draw: Any) -> Any:
    """``value`` with some of its lists and dicts made lazy, as :func:`chunks` takes
    them: a lazy value only ever inside another (a plain list or dict is plain JSON),
    and some of its values given encoded already."""
    if draw(st.integers(0, 4)) == 0:
        return Encoded(canonical_json(value))
    if isinstance(value, list) and draw(st.booleans()):
        return Array(iter([_lazy(v, draw) for v in value]))
    if isinstance(value, dict) and draw(st.booleans()):
        return Object(iter(sorted((k, _lazy(v, draw)) for k, v in value.items())))
    return value


@given(st.data(), _json)
def test_pieces_are_the_bytes_of_the_whole(data: st.DataObject, value: Any) -> None:
    lazy = _lazy(value, data.draw)
    whole = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert b"".join(chunks(lazy)) == whole.encode()
    assert canonical_json(value) == whole.encode()


def test_a_long_array_is_given_in_several_pieces_with_the_same_digest() -> None:
    members = [{"n": n, "é": "ü" * (n % 3)} for n in range(10_000)]
    pieces = list(chunks(Object(iter([("a", Array(iter(members))), ("b", 1)]))))
    assert len(pieces) > 1
    expected = hashlib.sha256(canonical_json({"a": members, "b": 1})).hexdigest()
    assert digest(Object(iter([("a", Array(iter(members))), ("b", 1)]))) == "sha256:" + expected


def _old_checksum(content: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(content)).hexdigest()


def test_store_checksums_are_those_of_the_whole_state() -> None:
    state = case200.stored()
    expected = _old_checksum(
        {
            "connection_ranges": sorted(state.connection_ranges),
            "domains": {name: flatten(state.domains[name]) for name in sorted(state.domains)},
        }
    )
    assert state_checksum(state) == expected
    assert rows_checksum(state.connection_ranges, rows_of(state.domains)) == expected


def _old_content(plan: PlanDocument, left_out: set[str]) -> bytes:
    excluded: dict[str, Any] = dict.fromkeys(left_out, True)
    if not plan.decisions:
        excluded["decisions"] = True
    elif plan.decisions.targeting is None:
        excluded["decisions"] = {"targeting": True}
    return canonical_json(plan.model_dump(mode="json", exclude=excluded))


def test_a_plans_checksum_and_signature_cover_the_bytes_of_the_whole_plan() -> None:
    plan = case200.plan()
    assert plan.changes and plan.drift and plan.target.domains
    for left_out in ({"checksum"}, {"checksum", "signature"}):
        assert b"".join(plan.content(left_out)) == _old_content(plan, left_out)
    assert plan.compute_checksum() == _old_checksum(
        json.loads(_old_content(plan, {"checksum", "signature"}))
    )
    key = PlanKey(b"k" * 32)
    signed = sign(plan.model_copy(update={"checks": skipped("test")}), key)
    assert signed.signature is not None
    assert signed.signature.mac == key.mac([_old_content(signed, {"checksum", "signature"})])
    assert signed.checksum == _old_checksum(json.loads(_old_content(signed, {"checksum"})))
    assert verify(signed, key).name == "SIGNED"


def test_a_history_snapshot_is_the_canonical_json_of_its_columns() -> None:
    state = case200.stored()
    names = sorted(state.domains)
    flat = [flatten(state.domains[name]) for name in names]
    whole = {
        "format": rows.SNAPSHOT_FORMAT,
        "connection_ranges": list(state.connection_ranges),
        "names": names,
        "fields": {field: [f[field] for f in flat] for field in FIELDS},
    }
    blob = rows.encode_snapshot(state.connection_ranges, rows_of(state.domains))
    assert zlib.decompress(blob) == canonical_json(whole)

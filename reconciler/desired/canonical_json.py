"""Canonical JSON: the bytes every checksum and signature of mailctl covers. Pure.

Keys sorted, no spaces, UTF-8 (not ``\\u`` escapes). :func:`canonical_json` encodes a
value at once. :func:`chunks` gives the same bytes in pieces, so that a checksum of
100,000 domains is taken without holding them all as one JSON tree and one string:
a large array or object is given lazily (:class:`Array`, :class:`Object`), and each of
its members is encoded, hashed and dropped in turn. A large plain member, such as a
column of 100,000 values, is best encoded on its own by one call (:class:`Encoded`):
its siblings are then not batched with it into one string.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

_PIECE = 1 << 16  # bytes gathered before they are handed on
_BATCH = 512  # plain members encoded by one call


def canonical_json(value: Any) -> bytes:
    return _dumps(value).encode()


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Array:
    """A JSON array whose members are made as they are encoded."""

    members: Iterable[Any]


@dataclass(frozen=True)
class Object:
    """A JSON object whose ``(key, value)`` pairs are made as they are encoded. They
    must come sorted by key, as :func:`canonical_json` sorts them (not checked)."""

    pairs: Iterable[tuple[str, Any]]


@dataclass(frozen=True)
class Encoded:
    """A member given as its :func:`canonical_json` bytes already (not checked)."""

    json: bytes


_LAZY = Array | Object | Encoded


def chunks(value: Any) -> Iterator[bytes]:
    """``canonical_json(value)`` in pieces of about 64 KB. Only :class:`Array` and
    :class:`Object` are given in pieces, and may hold others and :class:`Encoded`
    members; any other value (a dict, a list) is plain JSON, encoded at once."""
    return gathered(_parts(value))


def gathered(parts: Iterable[bytes]) -> Iterator[bytes]:
    """``parts`` joined into pieces of at least 64 KB (the last may be smaller): few
    enough calls for a hash or a file, small enough never to hold the whole."""
    batch: list[bytes] = []
    size = 0
    for part in parts:
        batch.append(part)
        size += len(part)
        if size >= _PIECE:
            yield b"".join(batch)
            batch, size = [], 0
    if batch:
        yield b"".join(batch)


def _parts(value: Any) -> Iterator[bytes]:
    if isinstance(value, Array):
        yield from _joined(False, value.members)
    elif isinstance(value, Object):
        yield from _joined(True, value.pairs)
    elif isinstance(value, Encoded):
        yield value.json
    else:
        yield canonical_json(value)


def _joined(pairs: bool, items: Iterable[Any]) -> Iterator[bytes]:
    """An object (of ``pairs``) or an array. Plain members are encoded a batch at a
    time, by one call of the C encoder whose brackets are cut off: the bytes of the
    batch's members, joined by commas. A lazy member is encoded on its own."""
    yield b"{" if pairs else b"["
    comma = b""  # before every member but the first
    plain: list[Any] = []
    for item in items:
        value = item[1] if pairs else item
        if not isinstance(value, _LAZY):
            plain.append(item)
            if len(plain) < _BATCH:
                continue
        if plain:
            yield comma + _members(pairs, plain)
            comma, plain = b",", []
        if isinstance(value, _LAZY):
            yield comma + ((_dumps(item[0]) + ":").encode() if pairs else b"")
            comma = b","
            yield from _parts(value)
    if plain:
        yield comma + _members(pairs, plain)
    yield b"}" if pairs else b"]"


def _members(pairs: bool, plain: list[Any]) -> bytes:
    """Plain members (or pairs) by one call of the C encoder, its brackets cut off."""
    return canonical_json(dict(plain) if pairs else plain)[1:-1]


def digest(value: Any) -> str:
    """``"sha256:"`` and the hex SHA-256 of ``canonical_json(value)``, streamed."""
    hasher = hashlib.sha256()
    for piece in chunks(value):
        hasher.update(piece)
    return "sha256:" + hasher.hexdigest()

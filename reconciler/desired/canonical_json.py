"""Canonical JSON: the bytes every checksum and signature of mailctl covers. Pure.

Keys sorted, no spaces, UTF-8 (not ``\\u`` escapes). :func:`canonical_json` encodes a
value at once. :func:`chunks` gives the same bytes in pieces, so that a checksum of
100,000 domains is taken without holding them all as one JSON tree and one string:
a large array or object is given lazily (:class:`Array`, :class:`Object`), and each of
its members is encoded, hashed and dropped in turn.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

_PIECE = 1 << 16  # bytes gathered before they are handed on


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


def chunks(value: Any) -> Iterator[bytes]:
    """``canonical_json(value)`` in pieces, where ``value`` may hold :class:`Array` and
    :class:`Object` anywhere among its JSON values."""
    if isinstance(value, Array):
        yield from _joined("[", "]", value.members, _member)
    elif isinstance(value, Object):
        yield from _joined("{", "}", value.pairs, _pair)
    elif isinstance(value, dict) and _is_lazy(value):
        yield from _joined("{", "}", sorted(value.items()), _pair)
    elif isinstance(value, list | tuple) and _is_lazy(value):
        yield from _joined("[", "]", value, _member)
    else:
        yield canonical_json(value)


def _member(value: Any) -> Iterator[bytes]:
    return chunks(value)


def _pair(pair: tuple[str, Any]) -> Iterator[bytes]:
    key, value = pair
    yield (_dumps(key) + ":").encode()
    yield from chunks(value)


def _joined(
    opening: str, closing: str, items: Iterable[Any], encode: Callable[[Any], Iterator[bytes]]
) -> Iterator[bytes]:
    batch: list[bytes] = [opening.encode()]
    size = 0
    for n, item in enumerate(items):
        if n:
            batch.append(b",")
        for piece in encode(item):
            batch.append(piece)
            size += len(piece)
            if size >= _PIECE:
                yield b"".join(batch)
                batch, size = [], 0
    batch.append(closing.encode())
    yield b"".join(batch)


def _is_lazy(value: Any) -> bool:
    if isinstance(value, Array | Object):
        return True
    if isinstance(value, dict):
        return any(_is_lazy(v) for v in value.values())
    return isinstance(value, list | tuple) and any(_is_lazy(v) for v in value)


def digest(value: Any) -> str:
    """``"sha256:"`` and the hex SHA-256 of ``canonical_json(value)``, streamed."""
    hasher = hashlib.sha256()
    for piece in chunks(value):
        hasher.update(piece)
    return "sha256:" + hasher.hexdigest()

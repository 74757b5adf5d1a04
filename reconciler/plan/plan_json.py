"""A plan as it is saved: JSON indented by two spaces, made a piece at a time. Pure.

The bytes are pydantic's ``model_dump_json(indent=2)`` of the plan, but a plan of
100,000 domains is 50 MB of them, and made at once they were held two and three times
over (the serializer's buffer, the string, its encoding). Here each of the target's
domains, each change and each drift item is serialized on its own and indented to its
depth, so no more than a batch of them is held. JSON strings hold no raw new line, so
every new line of a member's text is one of its own indentation, to which its depth's
is added.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pydantic_core
from pydantic import BaseModel

from reconciler.plan.document import PlanDocument

Streamed = Mapping[str, "Streamed"]
# The fields serialized a member at a time: a tuple field streams its members, a model
# field its own fields as given here (the rest of it at once).
_STREAMED: Streamed = {"target": {"domains": {}}, "changes": {}, "drift": {}}
_PIECE = 1 << 16  # bytes gathered before they are handed on


def plan_json(plan: PlanDocument) -> bytes:
    """The whole of :func:`pieces`: the plan as saved."""
    return b"".join(pieces(plan))


def pieces(plan: PlanDocument) -> Iterator[bytes]:
    """The plan as saved, ending in a new line: a plan without targeting is written
    without the key, so that it reads as plans saved before targeting existed."""
    untargeted = plan.decisions.targeting is None
    excluded = {"decisions": {"targeting"}} if untargeted else {}
    yield from _gathered(_object(plan, 0, _STREAMED, excluded))
    yield b"\n"


def _gathered(parts: Iterator[bytes]) -> Iterator[bytes]:
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


def _object(
    model: BaseModel, depth: int, streamed: Streamed, excluded: Mapping[str, Any]
) -> Iterator[bytes]:
    inner = b"\n" + b"  " * (depth + 1)
    for n, name in enumerate(type(model).model_fields):
        yield (b"{" if n == 0 else b",") + inner + json.dumps(name).encode() + b": "
        value = getattr(model, name)
        if name not in streamed:
            yield _value(value, depth + 1, excluded.get(name))
        elif isinstance(value, BaseModel):
            yield from _object(value, depth + 1, streamed[name], {})
        else:
            yield from _array(value, depth + 1)
    yield b"\n" + b"  " * depth + b"}" if type(model).model_fields else b"{}"


def _array(members: tuple[Any, ...], depth: int) -> Iterator[bytes]:
    if not members:
        yield b"[]"
        return
    inner = b"\n" + b"  " * (depth + 1)
    for n, member in enumerate(members):
        yield (b"[" if n == 0 else b",") + inner + _value(member, depth + 1, None)
    yield b"\n" + b"  " * depth + b"]"


def _value(value: Any, depth: int, exclude: Any) -> bytes:
    text = pydantic_core.to_json(value, indent=2, exclude=exclude)
    return text.replace(b"\n", b"\n" + b"  " * depth) if depth else text

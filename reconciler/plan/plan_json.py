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
from pathlib import Path
from typing import Any, BinaryIO

import pydantic_core
from pydantic import BaseModel, TypeAdapter, ValidationError

from reconciler.desired.canonical_json import gathered
from reconciler.desired.model import Domain
from reconciler.plan.document import Change, DriftItem, PlanDocument

Streamed = Mapping[str, "Streamed"]
# The fields serialized a member at a time: a tuple field streams its members, a model
# field its own fields as given here (the rest of it at once).
_STREAMED: Streamed = {"target": {"domains": {}}, "changes": {}, "drift": {}}


def plan_json(plan: PlanDocument) -> bytes:
    """The whole of :func:`pieces`: the plan as saved."""
    return b"".join(pieces(plan))


def pieces(plan: PlanDocument) -> Iterator[bytes]:
    """The plan as saved, ending in a new line: a plan without targeting is written
    without the key, so that it reads as plans saved before targeting existed."""
    untargeted = plan.decisions.targeting is None
    excluded = {"decisions": {"targeting"}} if untargeted else {}
    yield from gathered(_object(plan, 0, _STREAMED, excluded))
    yield b"\n"


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


# Reading: the lines that open and close each streamed array, in the layout above.
_OPENINGS = {b'  "changes": [\n': "changes", b'  "drift": [\n': "drift"}
_TARGET_DOMAINS = b'    "domains": [\n'
_MEMBER_TYPES: dict[str, TypeAdapter[list[Any]]] = {
    "changes": TypeAdapter(list[Change]),
    "drift": TypeAdapter(list[DriftItem]),
    "domains": TypeAdapter(list[Domain]),
}
_READ_BATCH = 1_000  # members validated by one call


def read_streamed(path: Path, context: dict[str, Any]) -> PlanDocument | None:
    """The plan saved at ``path`` when it is byte for byte what :func:`pieces` writes of
    it, read a member at a time (never the whole file, nor its whole JSON tree); None
    when it is not (edited, reformatted, or no plan), for the caller to read it whole
    and say what is wrong. ``context``: the validation context of every model."""
    try:
        with path.open("rb") as lines:
            skeleton, members = _split(lines, context)
        document = PlanDocument.model_validate_json(b"".join(skeleton), context=context)
        target = document.target.model_copy(update={"domains": tuple(members["domains"])})
        document = document.model_copy(
            update={
                "target": target,
                "changes": tuple(members["changes"]),
                "drift": tuple(members["drift"]),
            }
        )
        with path.open("rb") as again:
            return document if _same_bytes(pieces(document), again) else None
    except (ValidationError, _Unlike, OSError):
        return None


class _Unlike(Exception):
    """The file is not in the layout :func:`pieces` writes."""


def _split(
    lines: Iterator[bytes], context: dict[str, Any]
) -> tuple[list[bytes], dict[str, list[Any]]]:
    skeleton: list[bytes] = []
    members: dict[str, list[Any]] = {name: [] for name in _MEMBER_TYPES}
    in_target = False
    for line in lines:
        if line == b'  "target": {\n':
            in_target = True
        elif in_target and line in (b"  },\n", b"  }\n"):
            in_target = False
        name = "domains" if in_target and line == _TARGET_DOMAINS else _OPENINGS.get(line)
        if name is None:
            skeleton.append(line)
            continue
        depth = 2 if name == "domains" else 1
        closing = _read_array(lines, depth, _MEMBER_TYPES[name], members[name], context)
        skeleton.append(line[:-2] + b"[]" + closing)
    return skeleton, members


def _read_array(
    lines: Iterator[bytes],
    depth: int,
    kind: TypeAdapter[list[Any]],
    into: list[Any],
    context: dict[str, Any],
) -> bytes:
    """Validate the members of the array whose opening line was just read, each a
    block from ``{`` to ``}`` at the members' indentation; the array's closing line
    without its ``]``."""
    start, end = b"  " * (depth + 1) + b"{\n", b"  " * (depth + 1) + b"}"
    close = b"  " * depth + b"]"
    batch: list[bytes] = []
    member: list[bytes] = []
    for line in lines:
        if not member:
            if line.startswith(close) and line[len(close) :] in (b",\n", b"\n"):
                if batch:
                    into.extend(kind.validate_json(b"[" + b",".join(batch) + b"]", context=context))
                return line[len(close) :]
            if line != start:
                raise _Unlike
            member.append(line)
        elif line.startswith(end) and line[len(end) :] in (b",\n", b"\n"):
            member.append(end)
            batch.append(b"".join(member))
            member = []
            if len(batch) >= _READ_BATCH:
                into.extend(kind.validate_json(b"[" + b",".join(batch) + b"]", context=context))
                batch = []
        else:
            member.append(line)
    raise _Unlike


def _same_bytes(made: Iterator[bytes], file: BinaryIO) -> bool:
    for piece in made:
        if file.read(len(piece)) != piece:
            return False
    return file.read(1) == b""

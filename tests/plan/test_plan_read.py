"""A saved plan is read straight from its JSON into models that share what is equal:
the same plan as read through Python values, in a fraction of the memory."""

from __future__ import annotations

import json
import os
import random
import threading
from pathlib import Path

import pytest

from reconciler.app import planfile
from reconciler.desired.model import Domain, Endpoint
from reconciler.desired.shared_fields import compact_context
from reconciler.errors import InputError
from reconciler.plan.document import PlanDocument
from reconciler.plan.plan_json import plan_json, read_streamed
from tests.plan import case200


def _saved(tmp_path: Path) -> tuple[PlanDocument, Path]:
    document = case200.plan()
    path = tmp_path / "plan.json"
    path.write_bytes(plan_json(document))
    return document, path


def test_a_plan_read_is_the_plan_written_and_as_read_through_python_values(
    tmp_path: Path,
) -> None:
    document, path = _saved(tmp_path)
    read = planfile.read(path)
    assert read == document == PlanDocument.model_validate(json.loads(path.read_text()))
    assert plan_json(read) == path.read_bytes()
    assert read.compute_checksum() == document.checksum


def test_equal_models_of_a_plan_read_are_one_object(tmp_path: Path) -> None:
    _, path = _saved(tmp_path)
    read = planfile.read(path)
    endpoints = {id(d.imap) for d in read.target.domains} | {
        id(d.smtp) for d in read.target.domains
    }
    distinct = {d.imap for d in read.target.domains} | {d.smtp for d in read.target.domains}
    assert len(endpoints) == len(distinct)
    by_name = {d.name: d for d in read.target.domains}
    created = [c for c in read.changes if c.action == "create"]
    assert created and all(c.after is by_name[c.domain] for c in created)
    sets = {id(c.__pydantic_fields_set__) for c in created}
    assert len(sets) == 1


def test_interning_keeps_values_of_equal_but_differently_typed_json_apart() -> None:
    """JSON's 1 and true are equal in Python; a port is an int whatever it was given as,
    and models are only ever interned after pydantic made their values exact."""
    context = compact_context()
    one = Endpoint.model_validate_json(
        '{"host":"a.example","port":1,"security":"ssl"}', context=context
    )
    two = Endpoint.model_validate_json(
        '{"host":"a.example","port":1.0,"security":"ssl"}', context=context
    )
    assert one is two and type(one.port) is int
    other = Endpoint.model_validate_json(
        '{"host":"b.example","port":1,"security":"ssl"}', context=context
    )
    assert other is not one
    # Without the context nothing is shared.
    assert Domain.model_validate(case200.target().domains["d001.example"].model_dump()) is not (
        Domain.model_validate(case200.target().domains["d001.example"].model_dump())
    )


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"\xff\xfe{}", "cannot read plan: not UTF-8"),
        (b'{"format_version": 2,', "not a plan: invalid JSON"),
        (b'{"format_version": 3}', "plan format 3 is newer than this mailctl understands"),
        (b'{"format_version": 2, "mailctl_version": 1}', "not a valid mailctl plan: "),
    ],
)
def test_what_is_no_plan_is_said_as_before(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as refused:
        planfile.read(path)
    assert refused.value.diagnostics[0].message.startswith(said)


def test_a_plan_as_written_is_read_a_member_at_a_time(tmp_path: Path) -> None:
    for n, document in enumerate(case200.variants()):
        path = tmp_path / f"plan{n}.json"
        path.write_bytes(plan_json(document))
        assert read_streamed(path, compact_context()) == document


def test_a_plan_in_another_layout_is_read_whole(tmp_path: Path) -> None:
    document, path = _saved(tmp_path)
    for text in (
        json.dumps(json.loads(path.read_text()), indent=4),
        json.dumps(json.loads(path.read_text())),
        path.read_text() + " ",
        path.read_text().replace('"changes": [\n', '"changes": [ \n', 1),
    ):
        path.write_text(text)
        assert read_streamed(path, compact_context()) is None
        assert planfile.read(path) == document


def test_a_damaged_plan_read_member_by_member_is_what_a_whole_read_gives(
    tmp_path: Path,
) -> None:
    """Lines moved, dropped or doubled: the member reader gives up (None) or reads
    exactly the plan a JSON parser reads; it never reads anything else."""
    lines = plan_json(case200.plan()).splitlines(keepends=True)
    chooser = random.Random(16)
    path = tmp_path / "plan.json"
    for _ in range(150):
        damaged = list(lines)
        at = chooser.randrange(len(damaged))
        kind = chooser.choice(("drop", "double", "swap"))
        if kind == "drop":
            del damaged[at]
        elif kind == "double":
            damaged.insert(at, damaged[at])
        else:
            other = chooser.randrange(len(damaged))
            damaged[at], damaged[other] = damaged[other], damaged[at]
        path.write_bytes(b"".join(damaged))
        streamed = read_streamed(path, compact_context())
        if streamed is not None:
            assert streamed == PlanDocument.model_validate_json(path.read_bytes())


def test_a_plan_from_a_pipe_is_read_once(tmp_path: Path) -> None:
    """``mailctl apply <(cat plan.json)``: a FIFO holds its bytes once."""
    document, saved = _saved(tmp_path)
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(saved.read_bytes()))
    writer.start()
    try:
        assert planfile.read(fifo) == document
    finally:
        writer.join(timeout=10)

"""A plan's bytes and checksum are pinned: the same inputs give the same document,
byte for byte, whatever route the plan takes to it (a committed golden made from the
generated 200-domain case)."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.plan.builder import assemble
from reconciler.plan.plan_json import pieces, plan_json
from tests.plan import case200

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "plans" / "plan_200.json"


def test_the_200_domain_plan_is_byte_identical_to_the_golden() -> None:
    text = case200.plan().to_json()
    if os.environ.get("MAILCTL_WRITE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_checks_judged_on_the_unsealed_plan_give_the_same_bytes() -> None:
    """mailctl plan judges the gates and seals once, after the checks."""
    assert case200.plan(assemble).to_json() == GOLDEN.read_text()


def test_the_golden_has_every_kind_of_change() -> None:
    document = case200.plan()
    summary = document.summary
    assert (summary.create, summary.delete) == (20, 10)
    assert summary.update > 10 and summary.drifted == 3
    assert document.allowlist.added and document.allowlist.removed
    assert any(c.classification.downgrades for c in document.changes)
    assert document.checksum.startswith("sha256:")


def test_a_plan_written_in_pieces_is_the_bytes_of_its_json() -> None:
    for document in case200.variants():
        assert plan_json(document) == document.to_json().encode()
    assert len(list(pieces(case200.variants()[0]))) > 1

"""A plan's bytes and checksum are pinned: the same inputs give the same document,
byte for byte, whatever route the plan takes to it (a committed golden made from the
generated 200-domain case)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from reconciler.plan.builder import assemble, build_plan, with_checks
from reconciler.plan.checking import skipped
from reconciler.plan.document import PlanDocument, Source
from tests.plan import case200

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "plans" / "plan_200.json"


def _document(make: Callable[..., PlanDocument] = build_plan) -> PlanDocument:
    made = make(
        target=case200.target(),
        stored=case200.stored(),
        source=Source(kind="desired", path="domains.yaml", files=("domains.yaml",), checksum=""),
        mailctl_version="0.0.0",
        last_applied=case200.last_applied(),
        inbox_counts=case200.inbox_counts(),
        places=case200.places(),
        now=case200.NOW,
    )
    return with_checks(made, skipped("--no-checks"))


def test_the_200_domain_plan_is_byte_identical_to_the_golden() -> None:
    text = _document().to_json()
    if os.environ.get("MAILCTL_WRITE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_checks_judged_on_the_unsealed_plan_give_the_same_bytes() -> None:
    """mailctl plan judges the gates and seals once, after the checks."""
    assert _document(assemble).to_json() == GOLDEN.read_text()


def test_the_golden_has_every_kind_of_change() -> None:
    document = _document()
    summary = document.summary
    assert (summary.create, summary.delete) == (20, 10)
    assert summary.update > 10 and summary.drifted == 3
    assert document.allowlist.added and document.allowlist.removed
    assert any(c.classification.downgrades for c in document.changes)
    assert document.checksum.startswith("sha256:")

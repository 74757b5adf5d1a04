"""Retention after a run: the endpoints it wrote keep their last N runs, through the
endpoint index; endpoints it did not write keep their history as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from reconciler.store import evidence
from reconciler.store.open import open_store
from tests.audit.conftest import seed
from tests.audit.records_support import record
from tests.store.requests import domain


def runs_of(url: str, name: str) -> list[tuple[str, str]]:
    store = open_store(url)
    try:
        return [(r.protocol, r.run_id) for r in store.evidence_timeline(name)]
    finally:
        store.close()


def test_a_run_prunes_the_endpoints_it_wrote_and_leaves_the_others(any_url: str) -> None:
    seed(any_url, [domain("example.com"), domain("other.example")])
    store = open_store(any_url)
    try:
        for run in range(1, 6):
            runs = [record(run), record(run, protocol="smtp"), record(run, "other.example")]
            store.record_evidence(runs, keep=5)
        # A run of one endpoint only (an audit of one domain's IMAP, say), keeping 2.
        store.record_evidence([record(6)], keep=2)
        store.record_evidence([record(7, protocol="smtp")], keep=3)
    finally:
        store.close()
    assert runs_of(any_url, "example.com") == [
        ("smtp", "run4"),
        ("imap", "run5"),
        ("smtp", "run5"),
        ("imap", "run6"),
        ("smtp", "run7"),
    ]
    assert runs_of(any_url, "other.example") == [("imap", f"run{n}") for n in range(1, 6)]


def test_pruning_an_endpoint_searches_the_endpoint_index(tmp_path: Path) -> None:
    seed(f"sqlite:///{tmp_path / 'state.db'}", [domain("example.com")])
    sql = str(evidence._prune_one(3).compile(dialect=sqlite_dialect()))
    with sqlite3.connect(tmp_path / "state.db") as conn:
        plan = [
            row[3]
            for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", ("d", "p", "h", 1) * 2 + (3, 0))
        ]
    reads = [step for step in plan if "check_evidence" in step]
    # Both the rows to delete and the newest to keep are found by a search of the index.
    assert len(reads) == 2, plan
    assert all(step.startswith("SEARCH") and "ix_check_evidence_endpoint" in step for step in reads)

"""The evidence history in the store, on SQLite and PostgreSQL: one transaction per run,
the newest record per endpoint, a domain's timeline, retention, the evidence of an
applied plan, and a read-only reader of a store at the first schema revision."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from reconciler.app.apply import ApplyPathRequest, apply_path
from reconciler.app.plan import Planned
from reconciler.store import schema
from reconciler.store.base import StoreMissing
from reconciler.store.open import open_store
from tests.audit.conftest import loopback, seed, smtp_at
from tests.audit.records_support import record
from tests.checks import servers
from tests.checks.conftest import Dovecots
from tests.checks.pki import Pki
from tests.store import dbtools
from tests.store.requests import domain


def test_runs_are_recorded_read_back_and_pruned_to_the_last_n(any_url: str) -> None:
    seed(any_url, [domain("example.com"), domain("other.example")])
    store = open_store(any_url)
    try:
        for run in range(1, 6):
            runs = [record(run), record(run, protocol="smtp"), record(run, "other.example")]
            store.record_evidence(runs, keep=3)
        latest = store.latest_evidence()
        assert latest[("example.com", "imap", "imap.example.com", 993)] == record(5)
        assert len(latest) == 3
        timeline = store.evidence_timeline("example.com")
        assert [(r.run_id, r.protocol) for r in timeline] == [
            (f"run{n}", p) for n in (3, 4, 5) for p in ("imap", "smtp")
        ]
        assert timeline[1] == record(3, protocol="smtp")  # every field reads back as written
        assert store.prune_evidence(1) == 6
        assert [r.run_id for r in store.evidence_timeline("other.example")] == ["run5"]
        assert store.evidence_timeline("nowhere.example") == []
    finally:
        store.close()


def test_recording_needs_a_store_that_was_applied_to(any_url: str) -> None:
    store = open_store(any_url)
    try:
        with pytest.raises(StoreMissing):
            store.record_evidence([record(1)], keep=30)
        assert store.latest_evidence() == {}
    finally:
        store.close()


class Yes:
    def show(self, planned: Planned) -> None:
        pass

    def confirm(self, where: str) -> bool:
        return True


def test_an_applied_plan_records_its_checks_as_plan_evidence(
    any_url: str, tmp_path: Path, pki: Pki, dovecots: Dovecots
) -> None:
    port = servers.free_port()
    path = tmp_path / "domains.yaml"
    path.write_text(
        "version: 1\ndomains:\n  example.com:\n"
        f"    imap: {{host: imap.test.example, port: {dovecots.good.tls_port}, security: ssl}}\n"
        f"    smtp: {{host: smtp.test.example, port: {port}, security: starttls}}\n"
    )
    request = ApplyPathRequest(path, "tester", state_url=any_url, checks=loopback(pki))
    with smtp_at(port, pki.good):
        done = apply_path(request, Yes())
    assert done.applied is not None and done.applied.serial == 1
    store = open_store(any_url)
    try:
        timeline = store.evidence_timeline("example.com")
    finally:
        store.close()
    assert [(r.source, r.protocol, r.verdict) for r in timeline] == [
        ("plan", "imap", "passed"),
        ("plan", "smtp", "passed"),
    ]
    assert {r.run_id for r in timeline} == {timeline[0].run_id}
    assert timeline[1].certificate_sha256 == pki.good.sha256
    assert timeline[0].recorded_at.endswith("Z")


def test_a_read_only_reader_reads_a_first_revision_store_without_upgrading_it(
    any_url: str,
) -> None:
    with dbtools.connect(any_url) as conn:
        schema.upgrade(conn, any_url, target=schema.first())
        conn.execute(
            text(
                "INSERT INTO state (id, lineage, serial, updated_at) "
                "VALUES (1, :lineage, 1, '2026-01-01T00:00:00Z')"
            ),
            {"lineage": "a" * 32},
        )
    reader = open_store(any_url, read_only=True)
    try:
        assert reader.read().serial == 1
        assert reader.latest_evidence() == {}
        assert reader.evidence_timeline("example.com") == []
    finally:
        reader.close()
    with dbtools.connect(any_url) as conn:
        assert schema.current(conn) == schema.first()
    writer = open_store(any_url)  # a writer upgrades it
    try:
        writer.record_evidence([record(1)], keep=30)
        assert len(writer.evidence_timeline("example.com")) == 1
    finally:
        writer.close()

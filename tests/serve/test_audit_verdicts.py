"""The last audit verdict of each domain on the page and in ``/metrics``, on SQLite and
PostgreSQL: read with the settings, and picked up by the next poll after an audit,
although an audit leaves the serial as it was."""

from __future__ import annotations

import asyncio
import re

import httpx
from prometheus_client.parser import text_string_to_metric_families

from reconciler.plan.evidence_history import EvidenceRecord
from reconciler.store.open import open_store
from tests.serve.client_support import client, served

PORTS = {"imap": 993, "smtp": 587}


def found(
    run: int,
    domain: str,
    protocol: str,
    *,
    verdict: str = "passed",
    sha256: str = "AA" * 32,
    failed_step: str | None = None,
) -> EvidenceRecord:
    return EvidenceRecord(
        run_id=f"run{run}",
        recorded_at=f"2026-11-{run:02d}T08:00:00Z",
        source="audit",
        domain=domain,
        protocol=protocol,
        host=f"{protocol}.{domain}",
        port=PORTS[protocol],
        verdict=verdict,
        failed_step=failed_step,
        certificate_sha256=sha256 if failed_step != "connect" else None,
        certificate_not_after="2030-01-01T00:00:00Z" if failed_step != "connect" else None,
        tls_version="TLSv1.3" if failed_step != "connect" else None,
        capabilities=("IMAP4rev1",) if protocol == "imap" else ("STARTTLS",),
        message="",
    )


def both(run: int, domain: str, **imap: object) -> list[EvidenceRecord]:
    return [found(run, domain, "imap", **imap), found(run, domain, "smtp")]  # type: ignore[arg-type]


def record(url: str, records: list[EvidenceRecord]) -> None:
    store = open_store(url)
    try:
        store.record_evidence(records, keep=30)
    finally:
        store.close()


def badges(html: str) -> dict[str, str]:
    """Domain name -> the text of its verdict badge and the time after it."""
    sections = re.findall(r'<section class="domain" id="domain-([^"]+)".*?</section>', html, re.S)
    out = {}
    for name in sections:
        part = html.split(f'id="domain-{name}"', 1)[1].split("</section>", 1)[0]
        cell = re.search(r"<dt>Last audit</dt><dd>(.*?)</dd>", part, re.S)
        assert cell is not None, part
        out[name] = re.sub(r"<[^>]+>", "", cell.group(1))
    return out


def verdicts(metrics: str) -> dict[str, str]:
    families = {f.name: f for f in text_string_to_metric_families(metrics)}
    series = families["mailctl_audit_domain_verdict"].samples
    assert all(s.value == 1 for s in series)
    return {s.labels["domain"]: s.labels["verdict"] for s in series}


def counts(metrics: str) -> dict[str, float]:
    families = {f.name: f for f in text_string_to_metric_families(metrics)}
    return {s.labels["verdict"]: s.value for s in families["mailctl_audit_domains"].samples}


def test_the_page_and_metrics_show_each_domains_last_verdict_and_follow_new_audits(
    store_url: str,
) -> None:
    record(store_url, both(1, "example.com") + both(1, "plain.example"))
    # The second audit of plain.example finds another certificate: a warning.
    record(store_url, both(2, "plain.example", sha256="BB" * 32))
    app, source, _ = served(store_url)

    async def conversation() -> tuple[list[httpx.Response], bool, list[httpx.Response]]:
        async with client(app) as c:
            before = [await c.get("/"), await c.get("/metrics")]
            # An audit: example.com's IMAP server is gone, the IDN domain is checked.
            record(
                store_url,
                both(3, "example.com", verdict="failed", failed_step="connect")
                + both(3, "xn--bcher-kva.example"),
            )
            switched = source.poll()
            after = [await c.get("/"), await c.get("/metrics")]
            return before, switched, after

    before, switched, after = asyncio.run(conversation())
    page, metrics = before[0].text, before[1].text
    assert badges(page) == {
        "example.com": "ok, checked 2026-11-01T08:00:00Z",
        "plain.example": "warning, checked 2026-11-02T08:00:00Z",
        "xn--bcher-kva.example": "not audited",
    }
    assert 'class="verdict verdict-warning">warning</span>' in page
    assert verdicts(metrics) == {"example.com": "ok", "plain.example": "warning"}
    assert counts(metrics) == {"ok": 1, "warning": 1, "failing": 0, "not_audited": 1}

    assert switched, "an audit leaves the serial alone; the poll must notice it anyway"
    assert before[0].headers["ETag"] != after[0].headers["ETag"]
    assert "Serial <strong>1</strong>" in after[0].text
    assert badges(after[0].text) == {
        "example.com": "failing, checked 2026-11-03T08:00:00Z",
        "plain.example": "warning, checked 2026-11-02T08:00:00Z",
        "xn--bcher-kva.example": "ok, checked 2026-11-03T08:00:00Z",
    }
    assert verdicts(after[1].text) == {
        "example.com": "failing",
        "plain.example": "warning",
        "xn--bcher-kva.example": "ok",
    }
    assert counts(after[1].text) == {"ok": 1, "warning": 1, "failing": 1, "not_audited": 0}


def test_a_moved_host_is_not_audited_until_checked_again(store_url: str) -> None:
    # Evidence for an endpoint the domain no longer uses says nothing about it now.
    moved = found(1, "example.com", "imap")
    record(store_url, [moved.__class__(**{**moved.__dict__, "host": "old.example.com"})])
    record(store_url, [found(1, "example.com", "smtp")])
    app, _, _ = served(store_url)

    async def conversation() -> list[httpx.Response]:
        async with client(app) as c:
            return [await c.get("/"), await c.get("/metrics")]

    page, metrics = asyncio.run(conversation())
    assert badges(page.text)["example.com"] == "not audited"
    assert counts(metrics.text)["not_audited"] == 3

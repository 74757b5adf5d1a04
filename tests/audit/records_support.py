"""Evidence records made up for the store tests: run N of an endpoint."""

from __future__ import annotations

from reconciler.plan.evidence_history import EvidenceRecord


def record(run: int, domain: str = "example.com", protocol: str = "imap") -> EvidenceRecord:
    return EvidenceRecord(
        run_id=f"run{run}",
        recorded_at=f"2026-11-{run:02d}T12:00:00Z",
        source="audit",
        domain=domain,
        protocol=protocol,
        host=f"{protocol}.{domain}",
        port=993 if protocol == "imap" else 587,
        verdict="passed" if run % 2 else "failed",
        failed_step=None if run % 2 else "connect",
        certificate_sha256=f"{run:02X}" * 32,
        certificate_not_after="2027-01-01T00:00:00Z",
        tls_version="TLSv1.3",
        capabilities=("IMAP4rev1", f"X-RUN-{run}"),
        message=f"run {run}",
    )

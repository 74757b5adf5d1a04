"""A domain's evidence timeline (``mailctl audit --history``): text and JSON. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconciler.desired.names import to_unicode
from reconciler.plan.evidence_history import EvidenceRecord

FORMAT_VERSION = 1


def document(domain: str, records: Sequence[EvidenceRecord]) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "domain": domain,
        "domain_unicode": to_unicode(domain),
        "entries": [
            {
                "run_id": r.run_id,
                "recorded_at": r.recorded_at,
                "source": r.source,
                "endpoint": r.protocol,
                "host": r.host,
                "port": r.port,
                "verdict": r.verdict,
                "failed_step": r.failed_step,
                "certificate": None
                if r.certificate_sha256 is None
                else {"sha256": r.certificate_sha256, "not_after": r.certificate_not_after},
                "tls_version": r.tls_version,
                "capabilities": list(r.capabilities),
                "message": r.message,
            }
            for r in records
        ],
    }


def as_json(domain: str, records: Sequence[EvidenceRecord]) -> str:
    return json.dumps(document(domain, records), indent=2, ensure_ascii=False)


def text(domain: str, records: Sequence[EvidenceRecord]) -> str:
    if not records:
        return f"no evidence recorded for {to_unicode(domain)} (run mailctl audit)"
    lines = [f"evidence of {to_unicode(domain)}, oldest first:"]
    for r in records:
        cert = (
            f" cert {r.certificate_sha256[:23]}… until {r.certificate_not_after[:10]}"
            if (r.certificate_sha256 and r.certificate_not_after)
            else ""
        )
        tls = f" {r.tls_version}" if r.tls_version else ""
        step = f" at {r.failed_step}" if r.failed_step else ""
        lines.append(
            f"{r.recorded_at} {r.source:<5} {r.protocol} {r.host}:{r.port} "
            f"{r.verdict}{step}{tls}{cert}"
        )
    return "\n".join(lines)

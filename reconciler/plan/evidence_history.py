"""The evidence history: one record per endpoint of a domain per check run. Values, no I/O.

A record is what later runs compare against: the verdict and failed step, the
certificate's fingerprint and expiry, the TLS version and the capabilities offered. It
holds no secret (credentials never appear in check evidence) and no server prose beyond
the check's own one-line message, which the checks have already scrubbed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reconciler.plan.evidence import CheckResult

Source = Literal["audit", "plan"]
EndpointKey = tuple[str, str, str, int]  # (domain, protocol, host, port)
DEFAULT_RETENTION = 30  # runs kept per endpoint


@dataclass(frozen=True)
class EvidenceRecord:
    """What one run found at one endpoint of one domain; ``recorded_at`` is ISO 8601 UTC
    (``…Z``); ``capabilities`` as the server offered them, in its order."""

    run_id: str
    recorded_at: str
    source: Source
    domain: str
    protocol: str
    host: str
    port: int
    verdict: str
    failed_step: str | None = None
    certificate_sha256: str | None = None
    certificate_not_after: str | None = None
    tls_version: str | None = None
    capabilities: tuple[str, ...] = ()
    message: str = ""

    @property
    def key(self) -> EndpointKey:
        return (self.domain, self.protocol, self.host, self.port)


def utc_text(moment: str) -> str:
    """An ISO 8601 time with ``+00:00`` written as ``Z`` (how the store keeps times)."""
    return moment.replace("+00:00", "Z")


def records_of(
    results: Iterable[tuple[str, CheckResult]], *, run_id: str, at: str, source: Source
) -> list[EvidenceRecord]:
    """One record per (domain, result) pair, stamped with the run and its time."""
    found = []
    for domain, result in results:
        target, cert = result.target, result.certificate
        found.append(
            EvidenceRecord(
                run_id=run_id,
                recorded_at=utc_text(at),
                source=source,
                domain=domain,
                protocol=target.protocol,
                host=target.host,
                port=target.port,
                verdict=result.verdict,
                failed_step=result.failed_step,
                certificate_sha256=cert.sha256 if cert else None,
                certificate_not_after=cert.not_after if cert else None,
                tls_version=result.tls_version,
                capabilities=tuple(result.capabilities),
                message=result.message,
            )
        )
    return found

"""The last verdict of each domain, from the evidence history alone. Pure.

An audit keeps, per endpoint, what it found (``EvidenceRecord``), not its judgement.
The judgement is replayed here: the judge (``plan.audit_judge``) applied to the newest
record of each of the domain's current endpoints, against the record before it, at the
moment it was recorded, with the default horizons. So the verdict is the one that audit
gave (unless it ran with other horizons), and it does not drift as time passes.

A domain is not audited when one of its endpoints, as stored now, has no record: it was
added, or a host moved, since the last check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.desired.model import Domain
from reconciler.plan.audit_judge import DomainVerdict, Horizons, judge_domain
from reconciler.plan.checking import targets_of
from reconciler.plan.evidence import Certificate, CheckResult, CheckTarget
from reconciler.plan.evidence_history import EndpointKey, EvidenceRecord

_DEFAULT = Horizons()


@dataclass(frozen=True, slots=True)
class LastAudit:
    verdict: DomainVerdict
    at: str  # ISO 8601 UTC "…Z": when the newer of its two endpoints was recorded


def last_audits(
    domains: Mapping[str, Domain],
    recent: Mapping[EndpointKey, Sequence[EvidenceRecord]],
    horizons: Horizons = _DEFAULT,
) -> dict[str, LastAudit]:
    """``recent``: per endpoint, its newest records, newest first (two are enough).
    Domains without a record for each current endpoint are left out."""
    found: dict[str, LastAudit] = {}
    for name, domain in domains.items():
        results: dict[str, CheckResult] = {}
        previous: dict[EndpointKey, EvidenceRecord] = {}
        newest: list[str] = []
        for target in targets_of([domain]):
            key = (name, target.protocol, target.host, target.port)
            records = recent.get(key, ())
            if not records:
                break
            results[target.protocol] = _result(target, records[0])
            newest.append(records[0].recorded_at)
            if len(records) > 1:
                previous[key] = records[1]
        else:
            at = max(newest)
            moment = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
            judged = judge_domain(domain, results, previous, moment, horizons)
            found[name] = LastAudit(judged.verdict, at)
    return found


def _result(target: CheckTarget, record: EvidenceRecord) -> CheckResult:
    """The parts of a check result the judge reads, as the record kept them."""
    certificate = None
    if record.certificate_sha256 is not None and record.certificate_not_after is not None:
        certificate = Certificate(
            subject="",
            issuer="",
            sha256=record.certificate_sha256,
            not_after=record.certificate_not_after,
            trusted=record.verdict == "passed",
        )
    return CheckResult.model_validate(
        {
            "target": target,
            "verdict": record.verdict,
            "failed_step": record.failed_step,
            "message": record.message,
            "tls_version": record.tls_version,
            "certificate": certificate,
            "capabilities": record.capabilities,
        }
    )

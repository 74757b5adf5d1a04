"""Judge an audit: each endpoint's fresh check against its previous record. Pure.

Per endpoint of a domain, the findings (each a ``failure`` or a ``warning``):

* the check failed: ``unreachable`` (resolve, guard, connect), ``pin_mismatch`` (the
  certificate is not the one the domain pins), ``cert_expired``, ``starttls_lost`` (a
  STARTTLS endpoint that got past that step before), ``login_failing`` (credentials
  configured), else ``check_failed``;
* the certificate: ``cert_expired``, ``cert_expiring_critical`` (within the critical
  horizon, a failure), ``cert_expiring`` (within the warning horizon), ``cert_changed``
  since the previous record (a warning; ``pin_mismatch`` when the domain pins another);
* against the previous record: ``tls_downgraded`` (a lower TLS version, a warning) and
  ``starttls_lost`` (STARTTLS no longer among the capabilities).

A domain is ``failing`` with any failure, ``warning`` with any warning, else ``ok``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from reconciler.desired import fingerprints
from reconciler.desired.model import Domain
from reconciler.plan.evidence import CheckResult
from reconciler.plan.evidence_history import EvidenceRecord

Severity = Literal["failure", "warning"]
Kind = Literal[
    "unreachable",
    "check_failed",
    "cert_expiring",
    "cert_expiring_critical",
    "cert_expired",
    "cert_changed",
    "pin_mismatch",
    "tls_downgraded",
    "starttls_lost",
    "login_failing",
]
DomainVerdict = Literal["ok", "warning", "failing"]
DEFAULT_WARN_DAYS = 21
DEFAULT_CRITICAL_DAYS = 7
_UNREACHABLE = frozenset({"resolve", "guard", "connect"})
_TLS_ORDER = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


@dataclass(frozen=True)
class Horizons:
    warn_days: int = DEFAULT_WARN_DAYS
    critical_days: int = DEFAULT_CRITICAL_DAYS


@dataclass(frozen=True)
class Finding:
    endpoint: str  # "imap" | "smtp"
    host: str
    port: int
    severity: Severity
    kind: Kind
    message: str
    failed_step: str | None = None
    certificate_sha256: str | None = None
    certificate_not_after: str | None = None


@dataclass(frozen=True)
class EndpointAudit:
    """One endpoint of one domain: its fresh result, its previous record, the findings."""

    domain: str
    result: CheckResult
    previous: EvidenceRecord | None
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not any(f.severity == "failure" for f in self.findings)


@dataclass(frozen=True)
class DomainAudit:
    domain: str
    endpoints: tuple[EndpointAudit, ...]
    findings: tuple[Finding, ...] = field(init=False)

    def __post_init__(self) -> None:
        found = [f for e in self.endpoints for f in e.findings]
        object.__setattr__(self, "findings", tuple(sorted(found, key=_order)))

    @property
    def verdict(self) -> DomainVerdict:
        if any(f.severity == "failure" for f in self.findings):
            return "failing"
        return "warning" if self.findings else "ok"


def _order(finding: Finding) -> tuple[str, str, int, str]:
    return (finding.endpoint, finding.host, finding.port, finding.kind)


def judge_domain(
    domain: Domain,
    results: Mapping[str, CheckResult],
    previous: Mapping[tuple[str, str, str, int], EvidenceRecord],
    now: dt.datetime,
    horizons: Horizons = Horizons(),
) -> DomainAudit:
    """``results``: the fresh check of each protocol of ``domain``; ``previous``: the
    newest record of each endpoint (domain, protocol, host, port)."""
    audited = []
    for protocol in ("imap", "smtp"):
        result = results[protocol]
        target = result.target
        before = previous.get((domain.name, protocol, target.host, target.port))
        findings = judge_endpoint(domain, result, before, now, horizons)
        audited.append(EndpointAudit(domain.name, result, before, tuple(findings)))
    return DomainAudit(domain.name, tuple(audited))


def judge_endpoint(
    domain: Domain,
    result: CheckResult,
    before: EvidenceRecord | None,
    now: dt.datetime,
    horizons: Horizons,
) -> list[Finding]:
    """The findings of one endpoint, at most one of each kind."""
    found: dict[Kind, Finding] = {}
    target, cert = result.target, result.certificate

    def add(kind: Kind, severity: Severity, message: str) -> None:
        found.setdefault(
            kind,
            Finding(
                endpoint=target.protocol,
                host=target.host,
                port=target.port,
                severity=severity,
                kind=kind,
                message=message,
                failed_step=result.failed_step,
                certificate_sha256=cert.sha256 if cert else None,
                certificate_not_after=cert.not_after if cert else None,
            ),
        )

    where = f"{target.host}:{target.port}"
    pin = fingerprints.normalise(domain.certificate_sha256) if domain.certificate_sha256 else None
    if not result.passed:
        add(_failure_kind(result, before, pin), "failure", result.message)
    if cert is not None:
        _judge_certificate(add, where, cert.sha256, cert.not_after, before, pin, now, horizons)
    if before is not None:
        _judge_against(add, where, result, before)
    return sorted(found.values(), key=_order)


def _failure_kind(result: CheckResult, before: EvidenceRecord | None, pin: str | None) -> Kind:
    step, cert = result.failed_step, result.certificate
    if step in _UNREACHABLE:
        return "unreachable"
    if step == "certificate" and cert is not None:
        if pin is not None and cert.sha256 != pin:
            return "pin_mismatch"
        if "expired" in result.message:
            return "cert_expired"
    if step == "starttls" and before is not None and before.failed_step != "starttls":
        return "starttls_lost"
    if step == "login" and result.target.username_env is not None:
        return "login_failing"
    return "check_failed"


def _judge_certificate(
    add: _Add,
    where: str,
    sha256: str,
    not_after: str,
    before: EvidenceRecord | None,
    pin: str | None,
    now: dt.datetime,
    horizons: Horizons,
) -> None:
    left = _moment(not_after) - now
    day = not_after[:10]
    if left <= dt.timedelta(0):
        add("cert_expired", "failure", f"{where}: certificate expired on {day}")
    elif left <= dt.timedelta(days=horizons.critical_days):
        add(
            "cert_expiring_critical",
            "failure",
            f"{where}: certificate expires in {left.days} days, on {day} "
            f"(critical: within {horizons.critical_days} days)",
        )
    elif left <= dt.timedelta(days=horizons.warn_days):
        add(
            "cert_expiring",
            "warning",
            f"{where}: certificate expires in {left.days} days, on {day}",
        )
    if pin is not None and sha256 != pin:
        add(
            "pin_mismatch",
            "failure",
            f"{where}: certificate {sha256} is not the pinned certificate_sha256 {pin}",
        )
        return  # a change away from the pin is that failure, not also a warning
    old = before.certificate_sha256 if before is not None else None
    if old is not None and old != sha256:
        add("cert_changed", "warning", f"{where}: certificate changed from {old} to {sha256}")


def _judge_against(add: _Add, where: str, result: CheckResult, before: EvidenceRecord) -> None:
    now_version, old_version = result.tls_version, before.tls_version
    known = now_version in _TLS_ORDER and old_version in _TLS_ORDER
    if known and _TLS_ORDER.index(str(now_version)) < _TLS_ORDER.index(str(old_version)):
        add(
            "tls_downgraded",
            "warning",
            f"{where}: TLS version {now_version}, down from {old_version}",
        )
    offered = {c.upper() for c in result.capabilities}
    had = {c.upper() for c in before.capabilities}
    if result.capabilities and "STARTTLS" in had and "STARTTLS" not in offered:
        add("starttls_lost", "failure", f"{where}: STARTTLS is no longer offered")


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class _Add(Protocol):
    def __call__(self, kind: Kind, severity: Severity, message: str) -> None: ...


def overall(domains: Sequence[DomainAudit], *, strict: bool) -> bool:
    """Whether the audit holds: no domain failing (nor warning, when ``strict``)."""
    bad = {"failing", "warning"} if strict else {"failing"}
    return not any(d.verdict in bad for d in domains)

"""``audit``: re-check every endpoint of every stored domain (or those named), judge each
result against the previous record of its endpoint, and record the new evidence.

The checks are the plan's (``app.check.run``: the same guard, pool, per-host cap and
deadlines); the judging is pure (``plan.audit_judge``). Evidence is recorded after the
run in one transaction, pruned to the last ``keep`` runs per endpoint; with ``record``
off the store is only read. The previous record of an endpoint is its newest, from an
audit or from the checks of an applied plan.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reconciler.app.check import run
from reconciler.app.options import CheckOptions, Progress
from reconciler.app.store import applied
from reconciler.desired.model import Domain
from reconciler.desired.names import NameProblem, normalise_domain
from reconciler.errors import InputError, Location, MailctlError
from reconciler.plan.audit_judge import DomainAudit, Horizons, judge_domain, overall
from reconciler.plan.checking import targets_of
from reconciler.plan.evidence import CheckResult
from reconciler.plan.evidence_history import DEFAULT_RETENTION, EvidenceRecord, records_of
from reconciler.plan.status import EXIT_CHECK_FAILED, EXIT_OK
from reconciler.store.base import Store


@dataclass(frozen=True)
class AuditRequest:
    """Audit the store at ``state_url`` (all domains, or ``only``)."""

    state_url: str | None = None
    only: Collection[str] = ()
    checks: CheckOptions = field(default_factory=CheckOptions)
    horizons: Horizons = field(default_factory=Horizons)
    strict: bool = False
    record: bool = True
    keep: int = DEFAULT_RETENTION


@dataclass(frozen=True)
class Audited:
    audited_at: str  # ISO 8601 UTC, "…Z"
    lineage: str | None
    serial: int
    domains: tuple[DomainAudit, ...]  # sorted by name
    strict: bool
    duration: float  # seconds, the checks and the judging
    recorded: bool

    @property
    def ok(self) -> bool:
        return overall(self.domains, strict=self.strict)

    @property
    def status(self) -> int:
        """0 when the audit holds, 3 when a domain fails (or warns, when strict)."""
        return EXIT_OK if self.ok else EXIT_CHECK_FAILED


def audit(
    request: AuditRequest, *, store: Store | None = None, progress: Progress | None = None
) -> Audited:
    """Run the audit; raises NoStore when nothing was applied at the store, InputError
    for a ``--domain`` that is not stored, StoreError when ``record`` is asked of a
    store this process cannot write (before any check runs)."""
    if request.keep < 1:
        raise InputError.single(
            Location("--retention"), "keep at least one run per endpoint", "--retention 1"
        )
    horizons = request.horizons
    if not 0 <= horizons.critical_days <= horizons.warn_days:
        raise InputError.single(
            Location("--critical-days"),
            f"the critical horizon ({horizons.critical_days} days) must be between 0 and the "
            f"warning horizon ({horizons.warn_days} days)",
            "give --critical-days no larger than --warn-days",
        )
    with applied(request.state_url, store) as (current, state):
        domains = _chosen(list(state.domains.values()), request.only)
        if request.record:
            current.refuse_if_read_only()
        previous = current.latest_evidence()
        started = time.monotonic()
        at = datetime.now(UTC)
        results = _check(domains, request.checks, progress)
        judged = tuple(
            judge_domain(d, results[d.name], previous, at, request.horizons) for d in domains
        )
        duration = time.monotonic() - started
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if request.record:
            current.record_evidence(_records(judged, stamp), request.keep)
        return Audited(
            audited_at=stamp,
            lineage=state.lineage,
            serial=state.serial,
            domains=judged,
            strict=request.strict,
            duration=duration,
            recorded=request.record,
        )


def _chosen(domains: list[Domain], only: Collection[str]) -> list[Domain]:
    try:
        wanted = {normalise_domain(name) for name in only}
    except NameProblem as problem:
        raise InputError.single(Location("--domain"), problem.message, problem.hint) from None
    unknown = sorted(wanted - {d.name for d in domains})
    if unknown:
        raise InputError.single(
            Location("--domain"),
            f"no such domain in the store: {', '.join(unknown)}",
            "mailctl show lists the stored domains",
        )
    return sorted((d for d in domains if not wanted or d.name in wanted), key=lambda d: d.name)


def _check(
    domains: list[Domain], options: CheckOptions, progress: Progress | None
) -> dict[str, dict[str, CheckResult]]:
    """Each domain's result per protocol; endpoints shared by domains are checked once."""
    evidence = run(targets_of(domains), options, progress)
    by_domain: dict[str, dict[str, CheckResult]] = {}
    for endpoint in evidence.endpoints:
        for name in endpoint.domains:
            by_domain.setdefault(name, {})[endpoint.result.target.protocol] = endpoint.result
    return by_domain


def _records(judged: tuple[DomainAudit, ...], stamp: str) -> list[EvidenceRecord]:
    pairs = [(e.domain, e.result) for d in judged for e in d.endpoints]
    return records_of(pairs, run_id=uuid.uuid4().hex, at=stamp, source="audit")


def timeline(
    state_url: str | None, domain: str, *, store: Store | None = None
) -> list[EvidenceRecord]:
    """The kept evidence of ``domain``, oldest first (NoStore when nothing was applied)."""
    try:
        name = normalise_domain(domain)
    except NameProblem as problem:
        raise InputError.single(Location("--history"), problem.message, problem.hint) from None
    with applied(state_url, store) as (current, _state):
        return current.evidence_timeline(name)


class MetricsNotWritten(MailctlError):
    """The Prometheus file could not be written (exit 1); the old one stays."""


def write_metrics(path: Path, content: str) -> None:
    """Write the textfile-collector file atomically: a temporary file in the same folder,
    renamed over ``path``. A link at ``path`` is replaced, never followed, so the file
    it points to is left alone. A folder at ``path`` is refused."""
    from reconciler.output.atomic import write_atomic

    if path.is_dir() and not path.is_symlink():
        raise MetricsNotWritten(f"--prometheus-out {path} is a folder; name a file in it")
    try:
        write_atomic(path, content.encode())
    except OSError as exc:
        raise MetricsNotWritten(
            f"cannot write the metrics to {path}: {exc.strerror or exc}; the file is unchanged"
        ) from None

"""Which endpoints a plan must prove, and the plan with their evidence attached. Pure.

Every domain the plan creates or changes has its IMAP and SMTP endpoints checked.
Domains that share a server with identical settings share one check (one target),
and the evidence names every domain it proves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from reconciler.desired.model import Domain
from reconciler.plan.document import CheckedEndpoint, Checks, PlanDocument
from reconciler.plan.evidence import CheckResult, CheckTarget


def targets_of(domains: Iterable[Domain]) -> dict[CheckTarget, tuple[str, ...]]:
    """Each distinct endpoint to check, with the domains (sorted) that use it."""
    found: dict[CheckTarget, list[str]] = {}
    for domain in domains:
        creds = domain.credentials
        for protocol in ("imap", "smtp"):
            endpoint = getattr(domain, protocol)
            target = CheckTarget(
                protocol=protocol,
                host=endpoint.host,
                port=endpoint.port,
                security=endpoint.security,
                allow_non_secure_certificate=domain.allow_non_secure_certificate,
                certificate_sha256=domain.certificate_sha256,
                username_env=creds.username_env if creds else None,
                password_env=creds.password_env if creds else None,
            )
            found.setdefault(target, []).append(domain.name)
    return {target: tuple(sorted(names)) for target, names in found.items()}


def changed_domains(plan: PlanDocument) -> list[Domain]:
    """The domains whose new settings would be stored: creates and updates."""
    return [c.after for c in plan.changes if c.action in ("create", "update") and c.after]


def evidence(
    targets: Mapping[CheckTarget, tuple[str, ...]],
    results: Sequence[CheckResult],
    now: datetime | None = None,
) -> Checks:
    """The checks section for ``results`` (in the order of ``targets``)."""
    endpoints = tuple(
        CheckedEndpoint(domains=domains, result=result)
        for domains, result in zip(targets.values(), results, strict=True)
    )
    failed = any(not e.result.passed for e in endpoints)
    return Checks(
        status="failed" if failed else "passed" if endpoints else "not_run",
        checked_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        endpoints=endpoints,
        detail="" if endpoints else "no created or changed domain to check",
    )


def skipped(reason: str) -> Checks:
    return Checks(status="skipped", detail=reason)


def unproven(plan: PlanDocument, checks: Checks) -> list[str]:
    """Why the changed domains of ``plan`` are not proven by ``checks`` (empty: proven)."""
    needed = targets_of(changed_domains(plan))
    if not needed:
        return []
    if checks.status == "skipped":
        return [f"the changed domains were not checked ({checks.detail or 'checks skipped'})"]
    by_target = {e.result.target: e.result for e in checks.endpoints}
    problems = []
    for target, domains in needed.items():
        result = by_target.get(target)
        names = ", ".join(domains)
        if result is None:
            problems.append(f"{target.key} ({names}) was not checked")
        elif not result.passed:
            problems.append(f"{target.key} ({names}) failed: {result.message}")
    return problems

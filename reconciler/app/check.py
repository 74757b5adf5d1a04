"""``check``: live-check endpoints on their own, without a store; and the running of
checks every other use case shares (the edge between the plan and the network).

The plan says *which* endpoints need proof (``plan.checking``, pure); this module runs
them (``checks``, network) and turns the results into the plan's evidence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reconciler.app.options import CheckOptions, Progress
from reconciler.desired.credential_env import DEFAULT as DEFAULT_CREDENTIALS
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.loader import load
from reconciler.desired.names import NameProblem, normalise_domain
from reconciler.errors import Diagnostic, InputError, Location
from reconciler.plan.checking import changed_domains, evidence, targets_of
from reconciler.plan.document import Checks, PlanDocument
from reconciler.plan.evidence import CheckTarget
from reconciler.plan.status import EXIT_CHECK_FAILED, EXIT_OK


@dataclass(frozen=True)
class CheckRequest:
    """Check the domains at ``path`` (all, or those named in ``only``); ``credentials``:
    the variables a domain may name for its login."""

    path: Path
    only: Collection[str] = ()
    checks: CheckOptions = field(default_factory=CheckOptions)
    credentials: CredentialPolicy = DEFAULT_CREDENTIALS


@dataclass(frozen=True)
class Checked:
    evidence: Checks
    warnings: tuple[Diagnostic, ...]

    @property
    def status(self) -> int:
        """3 if any check failed, else 0."""
        return EXIT_CHECK_FAILED if self.evidence.status == "failed" else EXIT_OK


def check(request: CheckRequest, progress: Progress | None = None) -> Checked:
    """Live-check the endpoints of the chosen domains (an unknown name is an input
    error). Endpoints shared by several domains are checked once."""
    loaded = load(request.path, request.credentials)
    try:
        wanted = {normalise_domain(name) for name in request.only}
    except NameProblem as problem:
        raise InputError.single(Location("--domain"), problem.message, problem.hint) from None
    unknown = sorted(wanted - set(loaded.desired.domains))
    if unknown:
        raise InputError.single(
            Location(str(request.path)),
            f"no such domain in the desired state: {', '.join(unknown)}",
            "pass domain names as they appear under 'domains:'",
        )
    domains = [d for name, d in loaded.desired.domains.items() if not wanted or name in wanted]
    return Checked(run(targets_of(domains), request.checks, progress), tuple(loaded.warnings))


def run(
    targets: Mapping[CheckTarget, tuple[str, ...]],
    options: CheckOptions,
    progress: Progress | None = None,
) -> Checks:
    """Check every target; the evidence section for a plan (or for ``check``)."""
    from reconciler.checks.runner import run_checks
    from reconciler.net.resolver import pinned_resolver, system_resolver

    resolver = pinned_resolver(options.pinned, system_resolver)
    started = datetime.now(UTC)
    if progress is not None:
        progress.start(len(targets))
    results = asyncio.run(
        run_checks(
            list(targets),
            pool=options.pool,
            progress=progress,
            allow_private=options.allow_private,
            ca_file=options.ca_file,
            deadline=options.deadline,
            env=options.env,
            resolver=resolver,
        )
    )
    return evidence(targets, results, started)


def check_changes(
    document: PlanDocument, options: CheckOptions, progress: Progress | None = None
) -> Checks:
    """Live-check every endpoint of the domains ``document`` creates or changes."""
    return run(targets_of(changed_domains(document)), options, progress)

"""Running the live checks for a use case: the edge between the plan and the network.

The plan says *which* endpoints need proof (``plan.checking``, pure); this module runs
them (``checks``, network) with the options the user gave and turns the results into
the plan's evidence.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from reconciler.desired.model import Domain
from reconciler.plan.checking import evidence, targets_of
from reconciler.plan.document import Checks
from reconciler.plan.evidence import CheckResult, CheckTarget

DEFAULT_POOL = 32
DEFAULT_DEADLINE = 30.0
ALLOW_PRIVATE_ENV = "MAILCTL_ALLOW_PRIVATE_TARGETS"


class Progress(Protocol):
    """Told how many endpoints will be checked, then called once per result."""

    def start(self, total: int) -> None: ...

    def __call__(self, result: CheckResult) -> None: ...


@dataclass(frozen=True)
class CheckOptions:
    """How to run the checks. ``pinned`` maps host names to addresses (like curl's
    --resolve): they are used instead of DNS, and still judged by the SSRF guard."""

    allow_private: bool = False
    ca_file: Path | None = None
    deadline: float = DEFAULT_DEADLINE
    pool: int = DEFAULT_POOL
    pinned: Mapping[str, Sequence[str]] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def allow_private_from_env(env: Mapping[str, str]) -> bool:
    return env.get(ALLOW_PRIVATE_ENV, "").lower() in ("1", "true", "yes")


def run(
    targets: Mapping[CheckTarget, tuple[str, ...]],
    options: CheckOptions,
    progress: Progress | None = None,
) -> Checks:
    """Check every target; the evidence section for a plan (or for ``mailctl check``)."""
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


def check_domains(
    domains: Iterable[Domain], options: CheckOptions, progress: Progress | None = None
) -> Checks:
    return run(targets_of(domains), options, progress)

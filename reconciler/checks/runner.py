"""Check many endpoints concurrently: deduplicated, bounded, polite to each server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from reconciler.checks.endpoint import check_endpoint
from reconciler.checks.limits import ServerSlots
from reconciler.plan.evidence import CheckResult, CheckTarget

DEFAULT_POOL = 32
DEFAULT_PER_HOST = 5

Progress = Callable[[CheckResult], None]


async def run_checks(
    targets: Iterable[CheckTarget],
    *,
    pool: int = DEFAULT_POOL,
    per_host: int = DEFAULT_PER_HOST,
    progress: Progress | None = None,
    **endpoint_options: Any,
) -> list[CheckResult]:
    """Check every target; one result per input target, in input order.

    Identical targets are checked once and share the result. At most ``pool`` checks
    run at once, and at most ``per_host`` connections are open to one server, counted
    by host name and by resolved address. ``progress`` is called once per distinct
    target as soon as its result is known. ``endpoint_options`` go to
    ``check_endpoint`` (``allow_private``, ``ca_file``, ``deadline``, ...).
    """
    if pool < 1:
        raise ValueError("pool must be at least 1")
    ordered = list(targets)
    distinct = list(dict.fromkeys(ordered))
    overall = asyncio.Semaphore(pool)
    hosts = ServerSlots(per_host)
    addresses = ServerSlots(per_host)

    async def one(target: CheckTarget) -> CheckResult:
        # Host slot before pool slot: a check waiting for a busy server does not hold
        # one of the pool's places that a check of another server could use.
        async with hosts.hold(target.host), overall:
            result = await check_endpoint(target, address_slots=addresses, **endpoint_options)
        if progress is not None:
            progress(result)
        return result

    results = await asyncio.gather(*(one(t) for t in distinct))
    by_target = dict(zip(distinct, results, strict=True))
    return [by_target[t] for t in ordered]


def check_all(
    targets: Iterable[CheckTarget],
    *,
    pool: int = DEFAULT_POOL,
    per_host: int = DEFAULT_PER_HOST,
    progress: Progress | None = None,
    **endpoint_options: Any,
) -> list[CheckResult]:
    """``run_checks`` for synchronous callers (the CLI): runs its own event loop."""
    return asyncio.run(
        run_checks(targets, pool=pool, per_host=per_host, progress=progress, **endpoint_options)
    )

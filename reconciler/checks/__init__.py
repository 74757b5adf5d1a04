"""Live connection checks: prove an endpoint works before its settings are stored.

The checks know endpoints only (host, port, protocol, security, certificate policy),
never the desired-state model. Entry points: ``check_endpoint`` (one target, async),
``run_checks`` (many, async) and ``check_all`` (many, synchronous).

The value types of a result (``CheckResult``, ``CheckTarget``...) live on the plan side,
in ``reconciler.plan.evidence``, and the guard, resolvers and TLS contexts in
``reconciler.net``; names are loaded on first use (PEP 562), so importing this package
imports no network code (ssl, asyncio, cryptography).
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "check_endpoint": "reconciler.checks.endpoint",
    "Certificate": "reconciler.plan.evidence",
    "CheckResult": "reconciler.plan.evidence",
    "CheckTarget": "reconciler.plan.evidence",
    "Timing": "reconciler.plan.evidence",
    "Resolver": "reconciler.net.resolver",
    "static_resolver": "reconciler.net.resolver",
    "system_resolver": "reconciler.net.resolver",
    "DEFAULT_PER_HOST": "reconciler.checks.runner",
    "DEFAULT_POOL": "reconciler.checks.runner",
    "check_all": "reconciler.checks.runner",
    "run_checks": "reconciler.checks.runner",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'reconciler.checks' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

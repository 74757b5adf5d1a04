"""Options shared by the use cases: how to run the live checks and download feeds.

Built by a front end from what the user asked for; judged by the target guard where
they are used. Nothing here connects anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reconciler.errors import MailctlError
from reconciler.plan.evidence import CheckResult

if TYPE_CHECKING:
    from reconciler.allowlist.fetch import FetchOptions

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


@dataclass(frozen=True)
class Targets:
    """What everything mailctl connects to shares: mail servers and feed URLs alike."""

    allow_private: bool = False
    ca_file: Path | None = None
    pinned: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def checks(self, *, deadline: float, pool: int) -> CheckOptions:
        return CheckOptions(self.allow_private, self.ca_file, deadline, pool, self.pinned)

    def fetch(self, *, timeout: float) -> FetchOptions:
        # Imported here: downloading needs TLS and HTTP, which most commands never do.
        from reconciler.allowlist.fetch import FetchOptions

        return FetchOptions(
            timeout=timeout,
            allow_private=self.allow_private,
            ca_file=self.ca_file,
            pinned=self.pinned,
        )


def allow_private_from_env(env: Mapping[str, str]) -> bool:
    return env.get(ALLOW_PRIVATE_ENV, "").lower() in ("1", "true", "yes")


class PinError(MailctlError):
    """A ``--resolve`` value that is not ``HOST=ADDRESS`` with an unambiguous address."""


def pins(values: Iterable[str]) -> dict[str, list[str]]:
    """``HOST=ADDRESS`` values, by host (raises :class:`PinError` for a bad one)."""
    from reconciler.net.resolver import PinProblem, parse_pin

    pinned: dict[str, list[str]] = {}
    for value in values:
        try:
            host, address = parse_pin(value)
        except PinProblem as problem:
            raise PinError(str(problem)) from None
        pinned.setdefault(host, []).append(address)
    return pinned

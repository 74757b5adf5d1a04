"""Options shared by the use cases: how to run the live checks and download feeds.

Built by a front end from what the user asked for; judged by the target guard where
they are used. Nothing here connects anywhere.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reconciler.errors import MailctlError
from reconciler.plan.decisions import (
    DEFAULT_MASS_CHANGE,
    CaFile,
    Decisions,
    MassChange,
    not_recorded,
    not_repeated,
    recorded,
)
from reconciler.plan.evidence import CheckResult
from reconciler.plan.signing import PLAN_KEY_ENV

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


class Reaching(Protocol):
    """How a plan reached servers and feeds: :class:`CheckOptions` or ``FetchOptions``."""

    @property
    def allow_private(self) -> bool: ...

    @property
    def ca_file(self) -> Path | None: ...

    @property
    def pinned(self) -> Mapping[str, Sequence[str]]: ...


class NotRecorded(MailctlError):
    """An apply-time flag that the saved plan was not made with (exit 1)."""


class NotRepeated(MailctlError):
    """A decision an unsigned saved plan records that the apply does not repeat (exit 1):
    anyone can seal such a plan again, so it may not lift a gate on its own."""


class CaFileChanged(MailctlError):
    """The plan's CA file is not the one it was made with, or is gone (exit 1)."""


def ca_identity(path: Path) -> CaFile:
    """``path`` as given and the SHA-256 of its bytes; its content is never kept."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise CaFileChanged(f"cannot read the CA file {path}: {exc.strerror}") from None
    return CaFile(path=str(path), sha256=digest)


@dataclass(frozen=True)
class Thresholds:
    """The mass-change thresholds the user gave (``--mass-change-percent``,
    ``--mass-change-floor`` or their variables); None: not given."""

    percent: int | None = None
    floor: int | None = None

    def resolved(self) -> MassChange:
        """The thresholds given, the defaults for those not given."""
        return MassChange(
            percent=DEFAULT_MASS_CHANGE.percent if self.percent is None else self.percent,
            floor=DEFAULT_MASS_CHANGE.floor if self.floor is None else self.floor,
        )


NO_THRESHOLDS = Thresholds()


def decided(
    lifted: Collection[str], reaching: Reaching | None, thresholds: Thresholds = NO_THRESHOLDS
) -> Decisions:
    """The decisions of a plan made with the gates ``lifted``, reaching servers and
    feeds as ``reaching`` says (None: with none of its flags), and the mass-change
    ``thresholds``."""
    limits = thresholds.resolved()
    if reaching is None:
        return recorded(lifted, {}, False, None, limits)
    ca = ca_identity(reaching.ca_file) if reaching.ca_file is not None else None
    return recorded(lifted, reaching.pinned, reaching.allow_private, ca, limits)


class Asked(Protocol):
    """The flags an apply of a saved plan was given (``ApplyPlanRequest``)."""

    @property
    def lifted(self) -> frozenset[str]: ...

    @property
    def checks(self) -> CheckOptions | None: ...

    @property
    def no_checks(self) -> bool: ...

    @property
    def targets(self) -> Targets | None: ...

    @property
    def thresholds(self) -> Thresholds: ...


@dataclass(frozen=True)
class Honoured:
    """What an apply of a saved plan runs with: the plan's recorded decisions."""

    lifted: frozenset[str]
    checks: CheckOptions | None  # for a re-check; None: --no-checks at apply


def honoured(
    decisions: Decisions, asked: Asked, *, signed: bool, rechecks: bool = False
) -> Honoured:
    """The plan's ``decisions``, after judging the apply's own flags (``asked``: gates
    lifted, the pins, private targets and CA file it was given (with or without
    checks), mass-change thresholds, and --no-checks when the apply would otherwise
    check again, ``rechecks``): raises :class:`NotRecorded` for any the plan does not
    record (repeating a recorded one is fine), and, unless the plan is ``signed`` (its
    signature verified), :class:`NotRepeated` for any recorded decision the apply does
    not repeat (thresholds only when looser than the defaults). The gates are then
    judged with the plan's recorded thresholds. Deadline, pool and the login variables
    stay the apply's: they decide how long, never whether."""
    lifted, checks, given = asked.lifted, asked.checks, asked.thresholds
    # Under --no-checks the target flags reach nothing, but they are still decisions.
    reach: Reaching | None = checks if checks is not None else asked.targets
    given_pins = reach.pinned if reach is not None else {}
    given_private = reach.allow_private if reach is not None else False
    given_ca = reach.ca_file if reach is not None else None
    problems = not_recorded(
        decisions, lifted, given_pins, given_private, given.percent, given.floor
    )
    if asked.no_checks and rechecks:
        problems.insert(0, "--no-checks")
    if given_ca is not None and (
        decisions.ca_file is None or ca_identity(given_ca).sha256 != decisions.ca_file.sha256
    ):
        problems.append(f"--ca-file {given_ca}")
    if problems:
        raise NotRecorded(
            f"the saved plan was not made with {', '.join(problems)}: apply honours the "
            "decisions the plan records, and only those, so the reviewed plan stays the "
            "whole truth; make the plan again with them (mailctl plan … --out) and apply "
            "that plan"
        )
    if not signed:
        missing = not_repeated(
            decisions,
            lifted,
            given_pins if checks is not None else None,
            given_private,
            ca_identity(given_ca).sha256 if given_ca is not None else None,
            given.percent,
            given.floor,
        )
        if missing:
            raise NotRepeated(
                f"the saved plan is not signed, so the decisions it records count only when "
                f"this apply repeats them: give {', '.join(missing)} (as the plan shows), or "
                f"share {PLAN_KEY_ENV} between the plan and apply jobs so that a signed "
                "plan's decisions are honoured as recorded"
            )
    if checks is None:
        return Honoured(frozenset(decisions.lifted), None)
    recorded_ca = Path(decisions.ca_file.path) if decisions.ca_file is not None else None
    return Honoured(
        frozenset(decisions.lifted),
        replace(
            checks,
            allow_private=decisions.allow_private_targets,
            ca_file=given_ca or recorded_ca,
            pinned={host: list(addresses) for host, addresses in decisions.pins.items()},
        ),
    )


def ca_unchanged(decisions: Decisions, options: CheckOptions) -> None:
    """Raise :class:`CaFileChanged` unless ``options``' CA file has the SHA-256 the plan
    recorded (checked just before the checks use it)."""
    if decisions.ca_file is None or options.ca_file is None:
        return
    now = ca_identity(options.ca_file).sha256
    if now != decisions.ca_file.sha256:
        raise CaFileChanged(
            f"the CA file {options.ca_file} is not the one the plan was made with (its "
            f"sha256 is {now[:16]}…, the plan recorded {decisions.ca_file.sha256[:16]}…); "
            "nothing was applied: restore that CA file, or make the plan again with this one"
        )

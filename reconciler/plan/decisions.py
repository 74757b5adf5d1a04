"""The decisions a plan was made with, recorded in it so that apply honours exactly those.

A reviewer reads a saved plan as the whole truth of what its apply will do: which gates
the author lifted, and how its live checks reach the servers (``--resolve`` pins,
private targets, the CA bundle). They are part of the plan's content, so its checksum
and signature cover them like any other field. Pure: the CA file's identity is computed
by the caller, and this module never reads it.

Which flags an apply may still be given is judged here (:func:`not_recorded`): only
those the plan recorded, so that no apply is looser than the plan a person reviewed.
The decisions of a plan apply cannot authenticate (unsigned, or no key to verify it)
count only when the apply repeats them (:func:`not_repeated`): a checksum anyone can
seal again must not lift a gate or point a re-check at another server.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.plan.targeting import Targeting

# The gates that a flag can lift (``plan.gates.OVERRIDES``: a test keeps the two equal).
LiftableGate = Literal["checks", "mass-change", "downgrade", "delete-with-inboxes"]
FLAGS: dict[str, str] = {
    "checks": "--allow-unchecked",
    "mass-change": "--allow-mass-change",
    "downgrade": "--allow-downgrade",
    "delete-with-inboxes": "--allow-delete-with-inboxes",
}

# The mass-change gate's defaults: more than 30% of the stored domains changed or
# deleted blocks, judged only from 10 stored domains on (1 of 3 is 33%, and means
# nothing); the same defaults octoDNS uses for its update/delete safety thresholds.
MASS_CHANGE_PERCENT = 30
MASS_CHANGE_FLOOR = 10


class MassChange(BaseModel):
    """The mass-change gate's thresholds: blocked when more than ``percent`` of the
    stored domains are changed or deleted, once at least ``floor`` are stored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    percent: int = Field(
        default=MASS_CHANGE_PERCENT, ge=0, le=100, description="--mass-change-percent"
    )
    floor: int = Field(default=MASS_CHANGE_FLOOR, ge=0, description="--mass-change-floor")


DEFAULT_MASS_CHANGE = MassChange()


class CaFile(BaseModel):
    """Which CA bundle verified the certificates: its path as given and the SHA-256 of
    its bytes (never its content)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="The --ca-file path as given (relative to where mailctl ran).")
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="SHA-256 of the file's bytes.")


class Decisions(BaseModel):
    """Every decision the plan was made with; ``mailctl apply PLAN`` honours exactly these
    and refuses an apply-time flag that is not among them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lifted: tuple[LiftableGate, ...] = Field(
        default=(), description="Gates lifted by their --allow-… flag, sorted."
    )
    pins: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="--resolve pins: host name -> addresses used instead of DNS.",
    )
    allow_private_targets: bool = Field(
        default=False, description="Loopback, private and link-local addresses allowed."
    )
    ca_file: CaFile | None = Field(default=None, description="The CA bundle of the checks.")
    mass_change: MassChange | None = Field(
        default=None,
        description="The mass-change gate's thresholds, when not the defaults (30%, from "
        "10 stored domains).",
    )
    targeting: Targeting | None = Field(
        default=None,
        description="--domain/--exclude: the only part of the desired state planned "
        "(None: all of it); apply changes nothing outside it.",
    )

    def __bool__(self) -> bool:
        return bool(
            self.lifted
            or self.pins
            or self.allow_private_targets
            or self.ca_file
            or self.mass_change is not None
            or self.targeting is not None
        )

    @property
    def limits(self) -> MassChange:
        """The mass-change thresholds the plan was made with (the defaults if none)."""
        return self.mass_change or DEFAULT_MASS_CHANGE


def recorded(
    lifted: Collection[str],
    pins: Mapping[str, Sequence[str]],
    allow_private: bool,
    ca_file: CaFile | None,
    mass_change: MassChange = DEFAULT_MASS_CHANGE,
    targeting: Targeting | None = None,
) -> Decisions:
    """The decisions of a plan made with these flags, in canonical form: sorted, and
    thresholds equal to the defaults not recorded (they decide nothing)."""
    return Decisions(
        lifted=tuple(sorted(lifted)),
        pins={host: tuple(sorted(pins[host])) for host in sorted(pins)},
        allow_private_targets=allow_private,
        ca_file=ca_file,
        mass_change=None if mass_change == DEFAULT_MASS_CHANGE else mass_change,
        targeting=targeting,
    )


def not_recorded(
    decisions: Decisions,
    lifted: Collection[str],
    pins: Mapping[str, Sequence[str]],
    allow_private: bool,
    percent: int | None = None,
    floor: int | None = None,
) -> list[str]:
    """The apply-time flags (as the user would type them) that ``decisions`` does not
    hold. Repeating a recorded flag is not a new decision; anything else is. ``percent``
    and ``floor``: the mass-change thresholds given (None: not given)."""
    found = [FLAGS.get(gate, gate) for gate in sorted(set(lifted) - set(decisions.lifted))]
    if percent is not None and percent != decisions.limits.percent:
        found.append(f"--mass-change-percent {percent}")
    if floor is not None and floor != decisions.limits.floor:
        found.append(f"--mass-change-floor {floor}")
    for host in sorted(pins):
        if sorted(pins[host]) != sorted(decisions.pins.get(host, ())):
            found += [f"--resolve {host}={address}" for address in sorted(pins[host])]
    if allow_private and not decisions.allow_private_targets:
        found.append("--allow-private-targets")
    return found


def not_repeated(
    decisions: Decisions,
    lifted: Collection[str],
    pins: Mapping[str, Sequence[str]] | None,
    allow_private: bool,
    ca_sha256: str | None,
    percent: int | None = None,
    floor: int | None = None,
) -> list[str]:
    """The recorded decisions (as the user would type them) that the apply's own flags
    do not repeat. ``pins`` None: the apply checks nothing again, so only the gates
    count; ``ca_sha256``: the SHA-256 of the apply's --ca-file, if any; ``percent`` and
    ``floor``: the mass-change thresholds given. Thresholds stricter than the defaults
    need no repeating: they let nothing more through."""
    found = [FLAGS[gate] for gate in decisions.lifted if gate not in set(lifted)]
    limits = decisions.limits
    if limits.percent > MASS_CHANGE_PERCENT and percent != limits.percent:
        found.append(f"--mass-change-percent {limits.percent}")
    if limits.floor > MASS_CHANGE_FLOOR and floor != limits.floor:
        found.append(f"--mass-change-floor {limits.floor}")
    if pins is None:
        return found
    for host, addresses in decisions.pins.items():
        if sorted(pins.get(host, ())) != sorted(addresses):
            found += [f"--resolve {host}={address}" for address in addresses]
    if decisions.allow_private_targets and not allow_private:
        found.append("--allow-private-targets")
    if decisions.ca_file is not None and ca_sha256 != decisions.ca_file.sha256:
        found.append(f"--ca-file {decisions.ca_file.path}")
    return found

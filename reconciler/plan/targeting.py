"""Targeting: a plan of part of the desired state (``--domain``, ``--exclude``). Pure.

Like Terraform's ``-target`` and ``-exclude``: ``--domain`` names the only domains
whose changes are planned, ``--exclude`` names domains whose changes are not. Every
other domain keeps its stored settings in the plan's target, so the target is still
the whole state the store holds afterwards, and the plan's diff, its gates, its live
checks and apply's recomputation see only the targeted changes. Connection ranges
are not a domain: with ``--domain`` they keep their stored value too (only the named
domains are planned); with ``--exclude`` alone they are planned as usual.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel, ConfigDict, Field

from reconciler.desired.model import Desired
from reconciler.desired.state import StoredState


class Targeting(BaseModel):
    """Which part of the desired state a plan covers, and what it left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domains: tuple[str, ...] = Field(
        default=(), description="--domain, normalised and sorted; empty: every domain."
    )
    exclude: tuple[str, ...] = Field(default=(), description="--exclude, normalised and sorted.")
    not_planned: tuple[str, ...] = Field(
        default=(),
        description="Explanatory: the domains whose changes were left out of the plan.",
    )
    ranges_not_planned: bool = Field(
        default=False, description="Explanatory: connection range changes were left out."
    )

    def selects(self, name: str) -> bool:
        """Whether the plan may change the domain ``name``."""
        return (not self.domains or name in self.domains) and name not in self.exclude

    @property
    def keeps_ranges(self) -> bool:
        """Whether the connection ranges must stay as stored (``--domain`` given)."""
        return bool(self.domains)


def narrowed(
    desired: Desired, stored: StoredState, domains: Collection[str], exclude: Collection[str]
) -> tuple[Desired, Targeting]:
    """The target of a plan of ``desired`` against ``stored`` that changes only the
    domains ``domains`` selects (all when empty) and ``exclude`` does not: each other
    domain as stored (absent when not stored). Names are normalised already."""
    targeting = Targeting(domains=tuple(sorted(set(domains))), exclude=tuple(sorted(set(exclude))))
    kept = {}
    left_out = []
    for name in sorted(desired.domains.keys() | stored.domains.keys()):
        wanted, now = desired.domains.get(name), stored.domains.get(name)
        selected = targeting.selects(name)
        chosen = wanted if selected else now
        if chosen is not None:
            kept[name] = chosen
        if not selected and wanted != now:
            left_out.append(name)
    ranges = desired.connection_ranges
    ranges_left_out = False
    if targeting.keeps_ranges:
        ranges = stored.connection_ranges
        ranges_left_out = set(desired.connection_ranges) != set(stored.connection_ranges)
    target = desired.model_copy(update={"connection_ranges": ranges, "domains": kept})
    summary = targeting.model_copy(
        update={"not_planned": tuple(left_out), "ranges_not_planned": ranges_left_out}
    )
    return target, summary

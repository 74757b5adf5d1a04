"""Whose allowlist files a plan changes. Pure.

Compares the rules, not the raw range lists: ranges that are rewritten without changing
the address space they cover (a /24 split into two /25s, a duplicate dropped) change no
file, so the plan says so rather than listing every static-IP domain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.allowlist.rules import DomainRule, collapse
from reconciler.desired.model import Domain
from reconciler.plan.document import AllowlistDelta


def _rules(domains: Iterable[Domain]) -> dict[str, DomainRule]:
    return {d.name: DomainRule.of(d) for d in domains if d.use_static_ip_addresses}


def allowlist_delta(
    before_ranges: Iterable[str],
    before_domains: Mapping[str, Domain],
    after_ranges: Iterable[str],
    after_domains: Mapping[str, Domain],
) -> AllowlistDelta:
    before, after = _rules(before_domains.values()), _rules(after_domains.values())
    old_ranges, new_ranges = set(before_ranges), set(after_ranges)
    # Collapsing is only needed when both sides have rules and the lists differ.
    sources_changed = (
        bool(before and after)
        and old_ranges != new_ranges
        and collapse(old_ranges) != collapse(new_ranges)
    )
    kept = sorted(set(before) & set(after))
    return AllowlistDelta(
        added=tuple(sorted(set(after) - set(before))),
        removed=tuple(sorted(set(before) - set(after))),
        changed=tuple(n for n in kept if sources_changed or before[n] != after[n]),
        sources_changed=sources_changed,
    )

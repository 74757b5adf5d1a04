"""A saved plan judged again at apply: the plan its target makes of the store now. Pure.

A plan file is data: its checksum can be sealed again by anyone with this package, so
its classification, summary and gate verdicts prove nothing. At apply, under the
store's lock, the plan's target (the state it would write) is diffed against the
store as read then, with the same diff as ``mailctl plan``. The result is the only
plan that apply's gates look at, and what it writes; the saved plan's own changes,
ranges and target must equal it, or the plan is stale.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.desired.model import Desired
from reconciler.desired.ranges import RangeError, parse_range, too_broad
from reconciler.desired.state import StoredState
from reconciler.desired.storable import domain_problems
from reconciler.plan.builder import assemble
from reconciler.plan.document import Change, PlanDocument
from reconciler.plan.flatstate import FlatState, Row

_SHOWN = 3  # domains named in a refusal; the rest are counted


def recompute(
    plan: PlanDocument,
    current: StoredState | FlatState,
    inbox_counts: Mapping[str, int],
    target_rows: Mapping[str, Row] | None = None,
) -> PlanDocument:
    """The plan that turns ``current`` into ``plan``'s target, assembled as ``mailctl
    plan`` assembles one (changes, classification, summary; no drift, gate verdicts,
    checks, signature or checksum). The plan's decisions are carried over, so that the
    gates are judged with its recorded thresholds: apply judges those decisions before
    (``app.options.honoured``), as it does the gates they lift. ``target_rows``: the
    target's rows, when already made (``current`` as rows needs the models of every
    stored domain whose row is not the target's)."""
    target = Desired(
        connection_ranges=plan.target.connection_ranges,
        domains={d.name: d for d in plan.target.domains},
    )
    recomputed = assemble(
        target=target,
        stored=current,
        source=plan.source,
        mailctl_version=plan.mailctl_version,
        inbox_counts=inbox_counts,
        store_exists=plan.store.exists,
        target_rows=target_rows,
    )
    return recomputed.model_copy(update={"decisions": plan.decisions})


def _written(change: Change) -> tuple[object, ...]:
    """What a change means for the store; classification and source only explain it."""
    return (change.action, change.domain, change.before, change.after, change.fields)


def differences(plan: PlanDocument, recomputed: PlanDocument) -> list[str]:
    """How ``plan`` differs from ``recomputed`` in anything apply would act on (empty:
    the saved plan is exactly what its target makes of the store now)."""
    found = []
    if plan.target != recomputed.target:
        found.append("its target is not in the form mailctl writes (sorted, each domain once)")
    ours = {c.domain: _written(c) for c in plan.changes}
    theirs = {c.domain: _written(c) for c in recomputed.changes}
    unlike = sorted(
        name for name in ours.keys() | theirs.keys() if ours.get(name) != theirs.get(name)
    )
    if unlike or len(ours) != len(plan.changes):
        shown = ", ".join(unlike[:_SHOWN])
        more = f" and {len(unlike) - _SHOWN} more" if len(unlike) > _SHOWN else ""
        named = f" ({shown}{more})" if unlike else " (a domain is listed twice)"
        found.append(f"its changes are not what its target changes in the store now{named}")
    if plan.ranges != recomputed.ranges:
        found.append("its connection range changes are not what its target changes now")
    return found


def target_refusals(plan: PlanDocument) -> list[str]:
    """Why ``plan``'s target may never be stored, whatever the store holds: its
    connection ranges must be ranges the loader accepts, in the form it writes, and
    together stay within the floor of ``reconciler.desired.ranges``; its domains must be
    ones the loader could produce (``reconciler.desired.storable``). A plan is data, so
    an edited target is judged here as a domains file is judged at load."""
    found = []
    ranges = plan.target.connection_ranges
    for text in ranges:
        try:
            written = str(parse_range(text))
        except RangeError as problem:
            found.append(f"its target's connection range {problem.message}")
            continue
        if written != text:
            found.append(f"its target's connection range {text!r} is not written as {written}")
    if not found:
        found.extend(f"its target's connection ranges: {p.describe()}" for p in too_broad(ranges))
    for domain in plan.target.domains:
        found.extend(f"its target's domain {p}" for p in domain_problems(domain))
    return found

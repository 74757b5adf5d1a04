"""The checks an apply passes before it writes anything. Pure functions.

They run inside the write transaction, on the state read in that transaction (as rows:
:class:`FlatState`), so what they approve is exactly what gets changed.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from itertools import chain

from reconciler.plan.flatstate import FlatState, Row, rows_checksum
from reconciler.store.base import ApplyRequest, StaleState, StoreError

NO_STORE = FlatState(lineage=None, serial=0, connection_ranges=(), rows={})

# Names taken in C (``map``): an apply of 100,000 domains checks each several times.
_NAME = operator.attrgetter("name")


def refuse_if_stale(request: ApplyRequest, current: FlatState, display_url: str) -> None:
    """Raise StaleState unless the store is exactly the one the plan was made against.

    Compared in order lineage, serial, content; the message names the first that differs.
    A plan made against a store that did not exist yet (``expected_lineage`` None) fits
    only a store that has never been written (serial 0).
    """
    again = "run mailctl plan again"
    if request.expected_lineage is None:
        if current.serial != 0:
            raise StaleState(
                f"the plan was made when {display_url} held no state, but it has since been "
                f"created (lineage {current.lineage}, serial {current.serial}); {again}"
            )
    elif request.expected_lineage != current.lineage:
        found = current.lineage or "none: the store is new"
        raise StaleState(
            f"the plan was made against lineage {request.expected_lineage}, but the store "
            f"at {display_url} has lineage {found}: it is a different store; {again}"
        )
    if request.expected_serial != current.serial:
        raise StaleState(
            f"the plan was made at serial {request.expected_serial}, but the store at "
            f"{display_url} is at serial {current.serial}: someone applied since; {again}"
        )
    checksum = rows_checksum(current.connection_ranges, current.rows)
    if request.expected_checksum != checksum:
        raise StaleState(
            f"the content of the store at {display_url} changed since the plan was made "
            f"(checksum {checksum}, the plan expects {request.expected_checksum}) although "
            f"its serial did not: it was changed outside mailctl; {again}"
        )


def refuse_if_outside_target(request: ApplyRequest) -> None:
    """Raise StoreError if a created or updated domain is not in the target at all.

    The part of :func:`refuse_if_inconsistent` that needs no stored state, checked first
    so that rows can be built from the target before the write transaction.
    """
    changed = set(map(_NAME, chain(request.creates, request.updates)))
    outside = sorted(changed - request.target.domains.keys())
    if outside:
        raise _inconsistent([f"{', '.join(outside[:5])} changed but not in the target"])


def refuse_if_outside_targeting(request: ApplyRequest, current: FlatState) -> None:
    """Raise StoreError if the request changes a domain its targeting (``only``,
    ``excluded``) leaves out, or, with ``only``, the connection ranges.

    Apply refuses such a plan as stale before it gets here; this keeps a caller that
    builds a request by hand (a bug) from writing outside a reviewed targeted plan.
    """
    only, excluded = request.only, request.excluded
    if only is None and not excluded:
        return  # no targeting: nothing is outside it
    changed = [*request.deletes, *(d.name for d in (*request.creates, *request.updates))]
    problems = [
        f"{name} changed outside the targeting"
        for name in sorted(set(changed))
        if (only is not None and name not in only) or name in excluded
    ]
    if only is not None and set(request.connection_ranges) != set(current.connection_ranges):
        problems.append("connection ranges changed outside the targeting (--domain)")
    if problems:
        raise _inconsistent(problems)


def refuse_if_inconsistent(
    request: ApplyRequest, current: FlatState, target: Mapping[str, Row]
) -> None:
    """Raise StoreError unless the delta, applied to ``current``, yields ``request.target``
    (whose rows are ``target``).

    The history snapshot is ``target``; this keeps "revision(n) is the state after apply
    n" true even if a caller builds a delta and a target that disagree (a bug). The rows
    written are the target's, so each created or updated domain must be the target's.
    """
    result: dict[str, Row | None] = dict(current.rows)
    problems: list[str] = []
    deleted = set(request.deletes)
    problems.extend(f"delete of {n}, which is not stored" for n in sorted(deleted - result.keys()))
    for name in deleted:
        result.pop(name, None)
    updated = set(map(_NAME, request.updates))
    problems.extend(f"update of {n}, which is not stored" for n in sorted(updated - result.keys()))
    created = set(map(_NAME, request.creates))
    problems.extend(
        f"create of {n}, which is already stored" for n in sorted(created & result.keys())
    )
    for kind, listed, unique in (
        ("delete", request.deletes, deleted),
        ("update", request.updates, updated),
        ("create", request.creates, created),
    ):
        if len(listed) != len(unique):
            problems.append(f"a domain to {kind} is listed twice")
    # Written from the target: their models are compared below, not their rows.
    result.update(dict.fromkeys(updated))
    result.update(dict.fromkeys(created))
    if tuple(request.connection_ranges) != tuple(request.target.connection_ranges):
        problems.append("connection ranges differ from the target's")
    wanted = request.target.domains
    names = [] if result.keys() == target.keys() else sorted(result.keys() ^ target.keys())
    if not names:  # the same names: the kept rows must be the target's
        names = [n for n, row in result.items() if row is not None and row != target[n]]
    written = [*request.updates, *request.creates]
    # The usual case, checked in C: each written model is the target's very own.
    if not all(map(operator.is_, written, map(wanted.get, map(_NAME, written)))):
        names.extend(
            d.name
            for d in written
            if d is not wanted.get(d.name) and d.name in wanted and d != wanted[d.name]
        )
    if list(map(_NAME, wanted.values())) != list(wanted):  # a domain filed under another name
        names.extend(name for name, domain in wanted.items() if domain.name != name)
    if names:
        problems.append(f"domains differ from the target's: {', '.join(sorted(names)[:5])}")
    if problems:
        raise _inconsistent(problems)


def _inconsistent(problems: list[str]) -> StoreError:
    return StoreError(
        "refusing an inconsistent apply request (a bug in mailctl; nothing was written): "
        + "; ".join(problems[:5])
    )

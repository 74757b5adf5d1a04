"""``diff(desired, stored) -> changes``: pure, no I/O, deterministic order.

Changes come deletes first, then updates, then creates, each sorted by domain name.
Each change carries field-level before/after and a classification that tells a
reviewer what deserves a second look: security downgrades, static-IP toggles,
deletions and how many connected inboxes inherit the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from reconciler.desired.model import Desired, Domain
from reconciler.desired.ranges import sort_ranges
from reconciler.desired.shared_fields import share
from reconciler.desired.state import FIELDS, StoredState, flatten
from reconciler.plan.document import (
    ACTION_ORDER,
    Change,
    Classification,
    DriftItem,
    FieldChange,
    RangeDelta,
    SourceLocation,
)
from reconciler.plan.flatstate import FlatState, Row, rows_of

SECURITY_RANK = {"ssl": 2, "starttls": 1, "none": 0}


def field_changes(before: Domain, after: Domain) -> tuple[FieldChange, ...]:
    return row_changes(tuple(flatten(before).values()), tuple(flatten(after).values()))


def row_changes(before: Row, after: Row) -> tuple[FieldChange, ...]:
    """The fields in which two rows (``flatten``'s values in FIELDS order) differ."""
    return tuple(
        FieldChange(field=name, before=old, after=new)
        for name, old, new in zip(FIELDS, before, after, strict=True)
        if old != new
    )


def downgrades(before: Domain, after: Domain) -> tuple[str, ...]:
    """Ways in which ``after`` is less secure than ``before``."""
    found = []
    for protocol in ("imap", "smtp"):
        was, now = getattr(before, protocol).security, getattr(after, protocol).security
        if SECURITY_RANK[now] < SECURITY_RANK[was]:
            found.append(f"{protocol} security {was} -> {now}")
    if after.allow_non_secure_certificate and not before.allow_non_secure_certificate:
        found.append("non-secure (self-signed) certificate allowed")
    if before.certificate_sha256 and not after.certificate_sha256:
        found.append("certificate pin removed")
    return tuple(found)


def _toggle(before: Domain, after: Domain) -> Literal["on", "off"] | None:
    if before.use_static_ip_addresses == after.use_static_ip_addresses:
        return None
    return "on" if after.use_static_ip_addresses else "off"


def diff(
    desired: Desired,
    stored: StoredState,
    inbox_counts: Mapping[str, int] | None = None,
    places: Mapping[str, SourceLocation] | None = None,
) -> tuple[Change, ...]:
    """The changes that turn ``stored`` into ``desired``."""
    return diff_rows(desired, rows_of(desired.domains), FlatState.of(stored), inbox_counts, places)


def diff_rows(
    desired: Desired,
    desired_rows: Mapping[str, Row],
    stored: FlatState,
    inbox_counts: Mapping[str, int] | None = None,
    places: Mapping[str, SourceLocation] | None = None,
) -> tuple[Change, ...]:
    """:func:`diff` of ``desired`` (whose rows are ``desired_rows``) against the rows of
    ``stored``; models are taken only of the domains that change."""
    inbox_counts = inbox_counts or {}
    places = places or {}
    changes: list[Change] = []
    for name in stored.rows:
        if name not in desired.domains:
            changes.append(
                Change(
                    action="delete",
                    domain=name,
                    before=stored.models[name],
                    classification=Classification(
                        inboxes_affected=inbox_counts.get(name, 0), deletion=True
                    ),
                )
            )
    for name, after in desired.domains.items():
        row = stored.rows.get(name)
        if row is None:
            changes.append(
                Change(action="create", domain=name, after=after, source=places.get(name))
            )
        elif row != desired_rows[name]:
            before = stored.models[name]
            changes.append(
                Change(
                    action="update",
                    domain=name,
                    before=before,
                    after=after,
                    fields=row_changes(row, desired_rows[name]),
                    classification=Classification(
                        downgrades=downgrades(before, after),
                        static_ip_toggle=_toggle(before, after),
                        inboxes_affected=inbox_counts.get(name, 0),
                    ),
                    source=places.get(name),
                )
            )
    changes.sort(key=lambda c: (ACTION_ORDER[c.action], c.domain))
    return tuple(share(changes))


def range_delta(before: Iterable[str], after: Iterable[str]) -> RangeDelta:
    old, new = set(before), set(after)
    return RangeDelta(
        before=sort_ranges(old),
        after=sort_ranges(new),
        added=sort_ranges(new - old),
        removed=sort_ranges(old - new),
    )


def drift(last_applied: StoredState | None, stored: StoredState) -> tuple[DriftItem, ...]:
    """Differences between what the last apply wrote and what the store holds now."""
    base = rows_of(last_applied.domains) if last_applied else {}
    return drift_rows(base, rows_of(stored.domains))


def drift_rows(base: Mapping[str, Row], now_rows: Mapping[str, Row]) -> tuple[DriftItem, ...]:
    """:func:`drift` of the last apply's rows ``base`` and the store's ``now_rows``."""
    items: list[DriftItem] = []
    for name in sorted(base.keys() | now_rows.keys()):
        was, now = base.get(name), now_rows.get(name)
        if was is None and now is not None:
            items.append(DriftItem(domain=name, kind="added"))
        elif now is None and was is not None:
            items.append(DriftItem(domain=name, kind="removed"))
        elif was is not None and now is not None and was != now:
            items.append(DriftItem(domain=name, kind="changed", fields=row_changes(was, now)))
    return tuple(share(items))

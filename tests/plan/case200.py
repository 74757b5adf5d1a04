"""A generated 200-domain planning case with every kind of change: creates, updates
(ports, security downgrades, static-IP toggles, credentials, certificate pins),
deletes, drift since the last apply, inboxes, source places and changed ranges.
Deterministic: the same objects on every call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from reconciler.desired.model import Desired, Domain
from reconciler.desired.state import StoredState
from reconciler.errors import Location
from reconciler.plan.builder import build_plan, with_checks
from reconciler.plan.checking import skipped
from reconciler.plan.decisions import recorded
from reconciler.plan.document import PlanDocument, Source, StoreRef, TargetState
from reconciler.plan.signing import PlanKey, sign
from reconciler.plan.targeting import Targeting
from tests.plan.factory import domain

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PIN = "ab" * 32


def _base(i: int) -> Domain:
    name = f"d{i:03d}.example"
    extra: dict[str, object] = {}
    if i % 3 == 0:
        extra["use_static_ip_addresses"] = True
    if i % 10 == 0:
        extra["credentials"] = (f"USER_{i}", f"PASS_{i}")
    if i % 20 == 0:
        extra["allow_non_secure_certificate"] = True
        extra["certificate_sha256"] = PIN
    if i % 4 == 1:
        extra["imap"] = {"host": f"imap{i % 7}.provider.example"}
    return domain(name, **extra)


def stored_domains() -> list[Domain]:
    """190 domains: d000-d189; d180-d189 are not desired (deleted)."""
    return [_base(i) for i in range(190)]


def desired_domains() -> list[Domain]:
    """200 domains: d000-d179 as stored or changed, d190-d209 new (created)."""
    found = []
    for i in range(180):
        d = _base(i)
        if i % 17 == 0:
            d = d.model_copy(update={"imap": d.imap.model_copy(update={"port": 1993})})
        if i % 23 == 0:
            d = d.model_copy(update={"smtp": d.smtp.model_copy(update={"security": "none"})})
        if i % 29 == 0:
            d = d.model_copy(update={"use_static_ip_addresses": not d.use_static_ip_addresses})
        if i % 31 == 0:
            d = d.model_copy(update={"certificate_sha256": None})
        found.append(d)
    return found + [_base(i) for i in range(190, 210)]


def target() -> Desired:
    domains = desired_domains()
    return Desired(
        connection_ranges=("192.0.2.0/24", "2001:db8::/48", "198.51.100.0/25"),
        domains={d.name: d for d in sorted(domains, key=lambda d: d.name)},
    )


def stored(lineage: str = "0" * 32, serial: int = 7) -> StoredState:
    return StoredState(
        lineage=lineage,
        serial=serial,
        connection_ranges=("192.0.2.0/24", "203.0.113.0/24"),
        domains={d.name: d for d in stored_domains()},
    )


def last_applied(lineage: str = "0" * 32, serial: int = 7) -> StoredState:
    """What the last apply wrote: the store drifted since (one domain edited, one
    added, one removed by hand)."""
    domains = {d.name: d for d in stored_domains()}
    edited = domains["d005.example"]
    domains["d005.example"] = edited.model_copy(
        update={"smtp": edited.smtp.model_copy(update={"port": 25})}
    )
    del domains["d006.example"]
    domains["gone.example"] = domain("gone.example")
    return StoredState(
        lineage=lineage,
        serial=serial,
        connection_ranges=("192.0.2.0/24", "203.0.113.0/24"),
        domains=domains,
    )


def inbox_counts() -> dict[str, int]:
    return {f"d{i:03d}.example": i % 5 for i in range(0, 190, 3)}


def places() -> dict[str, Location]:
    return {
        d.name: Location("domains.yaml", 10 + n * 3, 3)
        for n, d in enumerate(sorted(desired_domains(), key=lambda d: d.name))
    }


def plan(make: Callable[..., PlanDocument] = build_plan) -> PlanDocument:
    """The plan of this case, its checks skipped: the golden plan's document."""
    made = make(
        target=target(),
        stored=stored(),
        source=Source(kind="desired", path="domains.yaml", files=("domains.yaml",), checksum=""),
        mailctl_version="0.0.0",
        last_applied=last_applied(),
        inbox_counts=inbox_counts(),
        places=places(),
        now=NOW,
    )
    return with_checks(made, skipped("--no-checks"))


def variants() -> list[PlanDocument]:
    """The plan of this case and others unlike it in every part the writer treats
    apart: targeted decisions, a signature, nothing streamed, no store."""
    document = plan()
    targeted = recorded(
        ("checks",),
        {"imap.example": ("192.0.2.7",)},
        False,
        None,
        targeting=Targeting(domains=("a.example",)),
    )
    return [
        document,
        document.model_copy(update={"decisions": targeted}),
        sign(document, PlanKey(b"k" * 32)),
        document.model_copy(update={"changes": (), "drift": (), "target": TargetState()}),
        PlanDocument(
            mailctl_version="0.0.0",
            created_at="2026-01-01T00:00:00+00:00",
            store=StoreRef(lineage=None, serial=0, checksum="sha256:" + "0" * 64),
            source=Source(kind="rollback", checksum="", rollback_to=3),
            target=TargetState(domains=(target().domains["d001.example"],)),
        ),
    ]

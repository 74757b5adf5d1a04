"""Build domains and apply requests the way a caller of the store does. No I/O.

Shared by the store tests, their helper processes and ``bench/apply.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.desired.model import Credentials, Domain
from reconciler.desired.state import StoredState, state_checksum
from reconciler.store.base import ApplyRequest, HistoryKind, HistoryRecord


def domain(
    name: str,
    *,
    port: int = 993,
    security: str = "ssl",
    credentials: bool = False,
    pin: str | None = None,
    static: bool = False,
    insecure: bool = False,
) -> Domain:
    """A valid resolved domain; vary the keywords to make updates."""
    return Domain.model_validate(
        {
            "name": name,
            "imap": {"host": f"imap.{name}", "port": port, "security": security},
            "smtp": {"host": f"smtp.{name}", "port": 587, "security": "starttls"},
            "allow_non_secure_certificate": insecure,
            "certificate_sha256": pin,
            "use_static_ip_addresses": static,
            "credentials": (
                Credentials(username_env="MAIL_USER", password_env="MAIL_PASSWORD")
                if credentials
                else None
            ),
        }
    )


def numbered(count: int, *, port: int = 993, start: int = 0) -> list[Domain]:
    return [domain(f"d{i:05d}.example", port=port) for i in range(start, start + count)]


def request(
    current: StoredState,
    target: Iterable[Domain],
    ranges: Iterable[str] = (),
    *,
    actor: str = "tester",
    commit: str | None = None,
    kind: HistoryKind = "apply",
    restored_serial: int | None = None,
) -> ApplyRequest:
    """The request that turns ``current`` into ``target`` (domains) with ``ranges``."""
    wanted = {d.name: d for d in sorted(target, key=lambda d: d.name)}
    creates = [d for name, d in wanted.items() if name not in current.domains]
    updates = [
        d for name, d in wanted.items() if name in current.domains and current.domains[name] != d
    ]
    deletes = [name for name in current.domains if name not in wanted]
    changes = [
        *({"action": "create", "domain": d.name} for d in creates),
        *({"action": "update", "domain": d.name} for d in updates),
        *({"action": "delete", "domain": name} for name in deletes),
    ]
    content = StoredState(connection_ranges=tuple(ranges), domains=wanted)
    return ApplyRequest(
        expected_lineage=current.lineage,
        expected_serial=current.serial,
        expected_checksum=state_checksum(current),
        creates=creates,
        updates=updates,
        deletes=deletes,
        connection_ranges=content.connection_ranges,
        target=content,
        record=HistoryRecord(
            actor=actor,
            commit=commit,
            restored_serial=restored_serial,
            plan_checksum=state_checksum(content),
            kind=kind,
            changes=changes,
            summary={"create": len(creates), "update": len(updates), "delete": len(deletes)},
        ),
    )

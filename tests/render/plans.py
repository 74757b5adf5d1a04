"""Sample plans for the renderer tests, built by the real builder from hand-made states.

Every plan is deterministic: fixed ``now``, version, lineage and serial.
"""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.errors import Location
from reconciler.model import Credentials, Desired, Domain, Endpoint
from reconciler.plan import gates
from reconciler.plan.builder import build_plan
from reconciler.plan.document import Checks, PlanDocument, Source
from reconciler.state import StoredState

NOW = datetime(2026, 11, 26, tzinfo=UTC)
SOURCE = Source(kind="desired", path="domains.yaml", checksum="")
LINEAGE = "3f1c0a9e-5b7d-4c2e-9a61-0d4b8e2f7c15"
PIN = ":".join(["AB", "CD", *["00"] * 29, "EF"])


def domain(
    name: str,
    *,
    imap_port: int = 993,
    imap_security: str = "ssl",
    smtp_port: int = 587,
    smtp_security: str = "starttls",
    **flags: object,
) -> Domain:
    return Domain.model_validate(
        {
            "name": name,
            "imap": Endpoint.model_validate(
                {"host": f"imap.{name}", "port": imap_port, "security": imap_security}
            ),
            "smtp": Endpoint.model_validate(
                {"host": f"smtp.{name}", "port": smtp_port, "security": smtp_security}
            ),
            **flags,
        }
    )


def plan(
    desired: Desired,
    stored: StoredState,
    *,
    last_applied: StoredState | None = None,
    inbox_counts: dict[str, int] | None = None,
    places: dict[str, Location] | None = None,
    lifted: tuple[str, ...] = (),
) -> PlanDocument:
    return build_plan(
        target=desired,
        stored=stored,
        source=SOURCE,
        mailctl_version="0.1.0",
        last_applied=last_applied,
        inbox_counts=inbox_counts,
        places=places,
        lifted=lifted,
        now=NOW,
    )


def full() -> PlanDocument:
    """Every kind of thing a plan can say.

    - ``old.example`` is deleted; it has 3 connected inboxes (gate lifted by a flag);
    - ``example.com`` is updated: IMAP downgraded ssl -> starttls (gate blocks), static
      IPs turned on, SMTP port put back after someone changed it in the store; 12 inboxes;
    - ``gone.example`` was removed from the store outside mailctl and is created again;
    - ``new.example`` is created with every optional setting;
    - ``steady.example`` is unchanged;
    - one connection range is added, one removed; the checks failed.
    """
    steady = domain("steady.example")
    example = domain("example.com")
    old = domain("old.example", use_static_ip_addresses=True)
    gone = domain("gone.example")
    new = domain(
        "new.example",
        imap_port=143,
        imap_security="starttls",
        smtp_port=465,
        smtp_security="ssl",
        allow_non_secure_certificate=True,
        certificate_sha256=PIN,
        use_static_ip_addresses=True,
        credentials=Credentials(username_env="NEW_EXAMPLE_USER", password_env="NEW_EXAMPLE_PASS"),
    )
    ranges = ("192.0.2.0/28", "198.51.100.0/24")
    last_applied = StoredState(
        lineage=LINEAGE,
        serial=7,
        connection_ranges=ranges,
        domains={d.name: d for d in (example, gone, old, steady)},
    )
    stored = last_applied.model_copy(
        update={
            "serial": 8,
            "domains": {
                "example.com": domain("example.com", smtp_port=25),
                "old.example": old,
                "steady.example": steady,
            },
        }
    )
    desired = Desired(
        connection_ranges=("192.0.2.0/28", "203.0.113.0/24"),
        domains={
            "example.com": domain(
                "example.com", imap_port=143, imap_security="starttls", use_static_ip_addresses=True
            ),
            "gone.example": gone,
            "new.example": new,
            "steady.example": steady,
        },
    )
    made = plan(
        desired,
        stored,
        last_applied=last_applied,
        inbox_counts={"example.com": 12, "old.example": 3},
        places={
            "example.com": Location("domains.yaml", 14, 3),
            "gone.example": Location("domains.yaml", 22, 3),
            "new.example": Location("domains.yaml", 27, 3),
        },
        lifted=("delete-with-inboxes",),
    )
    checks = Checks(status="failed", detail="imap.new.example:143: certificate has expired")
    return made.model_copy(update={"checks": checks})


def no_changes() -> PlanDocument:
    same = {"example.com": domain("example.com")}
    stored = StoredState(
        lineage=LINEAGE, serial=3, connection_ranges=("192.0.2.0/28",), domains=same
    )
    desired = Desired(connection_ranges=("192.0.2.0/28",), domains=same)
    return plan(desired, stored, last_applied=stored)


def small() -> PlanDocument:
    """One located update (3 inboxes), one delete; then found stale at apply time."""
    stored = StoredState(
        lineage=LINEAGE,
        serial=5,
        domains={"example.com": domain("example.com"), "old.example": domain("old.example")},
    )
    desired = Desired(domains={"example.com": domain("example.com", imap_port=995)})
    made = plan(
        desired,
        stored,
        last_applied=stored,
        inbox_counts={"example.com": 3},
        places={"example.com": Location("domains.yaml", 9, 3)},
    )
    stale = gates.stale(made, LINEAGE, 6, made.store.checksum)
    return made.model_copy(update={"gates": (*made.gates, stale)})


def many(count: int) -> PlanDocument:
    """``count`` stored domains, every one updated (a mass change)."""
    names = [f"d{i:05}.example" for i in range(count)]
    stored = StoredState(lineage=LINEAGE, serial=1, domains={n: domain(n) for n in names})
    desired = Desired(domains={n: domain(n, imap_port=995) for n in names})
    return plan(desired, stored, last_applied=stored, inbox_counts=dict.fromkeys(names, 2))

"""Sample plans for the renderer tests, built by the real builder from hand-made states.

Every plan is deterministic: fixed ``now``, version, lineage and serial. Live check
results are written by hand (:mod:`tests.render.evidence`), phrased like the checker's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.desired.model import Credentials, Desired, Domain, Endpoint
from reconciler.desired.state import StoredState
from reconciler.errors import Location
from reconciler.plan import gates
from reconciler.plan.builder import build_plan
from reconciler.plan.document import CheckedEndpoint, PlanDocument, Source
from tests.render.evidence import (
    IMAP_CAPABILITIES,
    PLAINTEXT,
    SMTP_CAPABILITIES,
    certificate,
    check,
    with_checks,
)

NOW = datetime(2026, 11, 26, tzinfo=UTC)
SOURCE = Source(kind="desired", path="domains.yaml", checksum="")
LINEAGE = "3f1c0a9e-5b7d-4c2e-9a61-0d4b8e2f7c15"
PIN = ":".join(["AB", "CD", *["00"] * 29, "EF"])


def domain(
    name: str,
    *,
    imap_host: str | None = None,
    imap_port: int = 993,
    imap_security: str = "ssl",
    smtp_host: str | None = None,
    smtp_port: int = 587,
    smtp_security: str = "starttls",
    **flags: object,
) -> Domain:
    imap_host = imap_host or f"imap.{name}"
    smtp_host = smtp_host or f"smtp.{name}"
    return Domain.model_validate(
        {
            "name": name,
            "imap": Endpoint.model_validate(
                {"host": imap_host, "port": imap_port, "security": imap_security}
            ),
            "smtp": Endpoint.model_validate(
                {"host": smtp_host, "port": smtp_port, "security": smtp_security}
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
    - one connection range is added, one removed;
    - of the six endpoints checked, four passed (two with warnings), and gone.example's
      two failed: an expired certificate and a refused STARTTLS.
    """
    steady = domain("steady.example")
    example = domain("example.com")
    example_after = domain(
        "example.com", imap_port=143, imap_security="starttls", use_static_ip_addresses=True
    )
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
            "example.com": example_after,
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
    endpoints = (
        # Passed: a trusted certificate, nothing to add.
        check(
            [example_after],
            "imap",
            certificate=certificate("imap.example.com", "2027-02-01T23:59:59Z"),
            capabilities=IMAP_CAPABILITIES,
            auth_mechanisms=("PLAIN", "LOGIN"),
            timings=(("resolve", 3.2), ("connect", 21.4), ("starttls", 18.9), ("tls", 44.1)),
        ),
        # Passed, with a warning: the certificate expires soon.
        check(
            [example_after],
            "smtp",
            certificate=certificate("smtp.example.com", "2026-12-08T12:00:00Z"),
            capabilities=SMTP_CAPABILITIES,
            auth_mechanisms=("PLAIN", "LOGIN"),
            warnings=("certificate expires in 12 days, on 2026-12-08",),
            timings=(("resolve", 2.9), ("connect", 25.0), ("starttls", 30.2), ("tls", 51.7)),
        ),
        # Failed at the certificate: expired, found over a second, unverified connection.
        check(
            [gone],
            "imap",
            verdict="failed",
            step="certificate",
            message="certificate has expired on 2026-11-20",
            tls_version=None,
            certificate=certificate("imap.gone.example", "2026-11-20T08:00:00Z", False),
            timings=(("resolve", 4.0), ("connect", 19.5), ("tls", 38.8)),
        ),
        # Failed at STARTTLS: the server refused it.
        check(
            [gone],
            "smtp",
            verdict="failed",
            step="starttls",
            message="STARTTLS refused: 454 '4.7.0 TLS not available due to local problem'",
            tls_version=None,
            capabilities=SMTP_CAPABILITIES,
            timings=(("resolve", 3.1), ("connect", 22.6), ("starttls", 12.0)),
        ),
        # Passed on the pin, with warnings: another name, accepted by the flag.
        check(
            [new],
            "imap",
            certificate=certificate(
                "mail.hosting.example", "2027-06-30T00:00:00Z", False, sha256=PIN
            ),
            capabilities=IMAP_CAPABILITIES,
            auth_mechanisms=("PLAIN",),
            logged_in=True,
            warnings=(
                "certificate is for mail.hosting.example, not imap.new.example "
                "(accepted: allow_non_secure_certificate)",
            ),
            timings=(("connect", 20.0), ("starttls", 15.5), ("tls", 40.0), ("login", 60.3)),
        ),
        check(
            [new],
            "smtp",
            tls_version="TLSv1.2",
            certificate=certificate("smtp.new.example", "2027-03-15T12:00:00Z"),
            capabilities=SMTP_CAPABILITIES,
            auth_mechanisms=("PLAIN", "LOGIN"),
            logged_in=True,
            timings=(("connect", 18.2), ("tls", 35.3), ("login", 41.0)),
        ),
    )
    return with_checks(made, endpoints, lifted=("delete-with-inboxes",))


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


def shared() -> PlanDocument:
    """Three domains created on shared hosting: endpoints checked once for two domains.

    mail.example.net's IMAP passed and its SMTP failed at STARTTLS, for both alpha and
    beta; gamma's SMTP uses security none (a warning); its IMAP was refused because its
    host resolves only to private addresses.
    """
    alpha, beta = (
        domain(n, imap_host="mail.example.net", smtp_host="mail.example.net")
        for n in ("alpha.example", "beta.example")
    )
    gamma = domain(
        "gamma.example",
        imap_host="mail.gamma.example",
        smtp_host="mail.gamma.example",
        smtp_port=25,
        smtp_security="none",
    )
    made = plan(
        Desired(domains={d.name: d for d in (alpha, beta, gamma)}),
        StoredState(lineage=LINEAGE, serial=2),
        places={
            "alpha.example": Location("domains.yaml", 4, 3),
            "beta.example": Location("domains.yaml", 9, 3),
            "gamma.example": Location("domains.yaml", 14, 3),
        },
    )
    endpoints = (
        check(
            [alpha, beta],
            "imap",
            certificate=certificate("mail.example.net", "2027-04-30T23:59:59Z"),
            capabilities=IMAP_CAPABILITIES,
            auth_mechanisms=("PLAIN",),
            timings=(("resolve", 2.0), ("connect", 10.0), ("tls", 30.5)),
        ),
        check(
            [alpha, beta],
            "smtp",
            verdict="failed",
            step="starttls",
            message="server does not advertise STARTTLS; refusing to continue in "
            "plaintext (use security: ssl if the server has an implicit TLS port)",
            tls_version=None,
            capabilities=("PIPELINING", "SIZE 10240000", "8BITMIME"),
            timings=(("resolve", 2.1), ("connect", 11.0), ("capability", 5.0)),
        ),
        check(
            [gamma],
            "imap",
            verdict="refused",
            step="guard",
            message="refused to connect: every address is non-public: 10.0.0.5",
            tls_version=None,
            timings=(("resolve", 1.5),),
        ),
        check(
            [gamma],
            "smtp",
            tls_version=None,
            capabilities=("PIPELINING", "8BITMIME"),
            warnings=(PLAINTEXT,),
            timings=(("resolve", 1.4), ("connect", 9.0), ("capability", 4.2)),
        ),
    )
    return with_checks(made, endpoints)


def failing(count: int) -> PlanDocument:
    """``many(count)`` checked: every IMAP endpoint failed to connect; every SMTP
    endpoint passed, with a warning about its certificate."""
    made = many(count)
    endpoints: list[CheckedEndpoint] = []
    for change in made.changes:
        assert change.after is not None
        after = change.after
        endpoints.append(
            check(
                [after],
                "imap",
                verdict="failed",
                step="connect",
                message="could not connect to 192.0.2.10: connection refused",
                tls_version=None,
            )
        )
        endpoints.append(
            check(
                [after],
                "smtp",
                certificate=certificate(after.smtp.host, "2026-12-01T00:00:00Z"),
                warnings=("certificate expires in 5 days, on 2026-12-01",),
            )
        )
    return with_checks(made, tuple(endpoints))

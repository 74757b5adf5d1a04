"""Live check results written by hand for the renderer tests, phrased the way the
checker phrases them: every sentence starts with ``host:port: ``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from reconciler.desired.model import Domain
from reconciler.plan import gates
from reconciler.plan.document import CheckedEndpoint, Checks, PlanDocument
from reconciler.plan.evidence import Certificate, CheckResult, CheckTarget, Step, Timing

IMAP_CAPABILITIES = ("IMAP4rev1", "SASL-IR", "LITERAL+", "ID", "ENABLE", "IDLE", "AUTH=PLAIN")
SMTP_CAPABILITIES = ("PIPELINING", "SIZE 52428800", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8")
PLAINTEXT = (
    "PLAINTEXT: security is none, so mail and passwords would cross the network "
    "unencrypted; this check sent no credentials"
)


def target(owner: Domain, protocol: str) -> CheckTarget:
    """The check target of one of ``owner``'s endpoints, as the plan would check it."""
    endpoint = owner.imap if protocol == "imap" else owner.smtp
    creds = owner.credentials
    return CheckTarget.model_validate(
        {
            "protocol": protocol,
            "host": endpoint.host,
            "port": endpoint.port,
            "security": endpoint.security,
            "allow_non_secure_certificate": owner.allow_non_secure_certificate,
            "certificate_sha256": owner.certificate_sha256,
            "username_env": creds.username_env if creds else None,
            "password_env": creds.password_env if creds else None,
        }
    )


def fingerprint(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2))


def certificate(
    name: str, not_after: str, trusted: bool = True, sha256: str | None = None
) -> Certificate:
    """A certificate for ``name``: Let's Encrypt's when trusted, else self-signed."""
    issuer = "CN=R11,O=Let's Encrypt,C=US" if trusted else f"CN={name}"
    return Certificate(
        subject=f"CN={name}",
        issuer=issuer,
        sans=(name,),
        not_after=not_after,
        sha256=sha256 or fingerprint(name),
        self_signed=not trusted,
        trusted=trusted,
    )


def result(
    checked_target: CheckTarget,
    *,
    verdict: str = "passed",
    step: Step | None = None,
    message: str = "ok",
    warnings: Iterable[str] = (),
    tls_version: str | None = "TLSv1.3",
    certificate: Certificate | None = None,
    capabilities: tuple[str, ...] = (),
    auth_mechanisms: tuple[str, ...] = (),
    logged_in: bool | None = None,
    timings: Iterable[tuple[Step, float]] = (),
) -> CheckResult:
    """A check result; like the checker, every sentence starts with ``host:port: ``."""
    host, port = checked_target.host, checked_target.port
    prefix = f"[{host}]:{port}: " if ":" in host else f"{host}:{port}: "
    return CheckResult.model_validate(
        {
            "target": checked_target,
            "verdict": verdict,
            "failed_step": step,
            "message": prefix + message,
            "warnings": tuple(prefix + w for w in warnings),
            "addresses": ("192.0.2.10",),
            "tried_addresses": ("192.0.2.10",),
            "connected_address": "192.0.2.10",
            "tls_version": tls_version,
            "cipher": "TLS_AES_256_GCM_SHA384" if tls_version else None,
            "certificate": certificate,
            "capabilities": capabilities,
            "auth_mechanisms": auth_mechanisms,
            "logged_in": logged_in,
            "timings": tuple(Timing(step=s, milliseconds=ms) for s, ms in timings),
        }
    )


def check(owners: Sequence[Domain], protocol: str, **facts: Any) -> CheckedEndpoint:
    """The check of ``protocol`` on the endpoint the ``owners`` share, as found."""
    found = result(target(owners[0], protocol), **facts)
    return CheckedEndpoint(domains=tuple(sorted(d.name for d in owners)), result=found)


def with_checks(
    made: PlanDocument, endpoints: tuple[CheckedEndpoint, ...], lifted: tuple[str, ...] = ()
) -> PlanDocument:
    """``made`` with the evidence of its checks, its gates judged again with it."""
    failed = any(not e.result.passed for e in endpoints)
    checks = Checks(
        status="failed" if failed else "passed",
        checked_at="2026-11-26T00:00:00+00:00",
        endpoints=endpoints,
    )
    attached = made.model_copy(update={"checks": checks})
    return attached.model_copy(update={"gates": gates.evaluate(attached, lifted)}).sealed()

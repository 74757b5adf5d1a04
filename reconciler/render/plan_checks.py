"""A plan's live connection checks in words, shared by the three plan renderers. Pure.

Everything here reads only the plan document. Text that came from a server (certificate
names, capabilities, the server's replies quoted in a message) is returned as is: each
renderer escapes it for its own output, exactly like every other value of a plan.
"""

from __future__ import annotations

from reconciler.plan.document import Checks
from reconciler.plan.evidence import CheckResult, CheckTarget

MARKS = {"passed": "✓", "failed": "✗", "refused": "✗"}


def host_port(host: str, port: int) -> str:
    """``host:port``; an IPv6 literal is bracketed so its port stays readable."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def where(target: CheckTarget) -> str:
    """``smtp mail.example.net:587``: which endpoint, without how it is secured."""
    return f"{target.protocol} {host_port(target.host, target.port)}"


def label(target: CheckTarget) -> str:
    """``smtp mail.example.net:587 starttls``."""
    return f"{where(target)} {target.security}"


def _own(result: CheckResult, text: str) -> str:
    # The checker starts its sentences with ``host:port: ``; next to the label that
    # would say the same thing twice.
    return text.removeprefix(host_port(result.target.host, result.target.port) + ": ")


def message(result: CheckResult) -> str:
    """What the check said, without the ``host:port`` the label already names."""
    return _own(result, result.message)


def warnings(result: CheckResult) -> list[str]:
    """The check's warnings (expiring certificate, plaintext …), without ``host:port``."""
    return [_own(result, warning) for warning in result.warnings]


def step(result: CheckResult) -> str:
    """``failed at starttls`` / ``refused at guard``; ``failed`` when no step is known."""
    return f"{result.verdict} at {result.failed_step}" if result.failed_step else result.verdict


def day(moment: str) -> str:
    """The date of an ISO 8601 moment: ``2027-02-01``."""
    return moment[:10]


def outcome(result: CheckResult) -> str:
    """What one check found, in a phrase: ``failed at starttls: STARTTLS refused: …``, or
    for a passed check ``TLSv1.3, certificate CN=… valid until 2027-02-01, login ok``."""
    if not result.passed:
        return f"{step(result)}: {message(result)}"
    facts = []
    if result.tls_version:
        facts.append(result.tls_version)
    elif result.target.security == "none":
        facts.append("plaintext (security none)")
    cert = result.certificate
    if cert is not None:
        facts.append(f"certificate {cert.subject} valid until {day(cert.not_after)}")
    if result.logged_in:
        facts.append("login ok")
    return ", ".join(facts) or "ok"


def milliseconds(result: CheckResult) -> float:
    """How long the check took: the sum of its steps."""
    return sum(timing.milliseconds for timing in result.timings)


def failed_by_domain(checks: Checks) -> dict[str, list[CheckTarget]]:
    """Each domain that a failed check proves wrong, with the endpoints that failed."""
    found: dict[str, list[CheckTarget]] = {}
    for checked in checks.failed():
        for domain in checked.domains:
            found.setdefault(domain, []).append(checked.result.target)
    return found

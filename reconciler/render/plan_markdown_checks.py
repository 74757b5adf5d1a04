"""The live connection checks in a plan comment: the failed endpoints, the warnings and
the collapsed list of every checked endpoint, as parts for
:mod:`reconciler.render.plan_markdown`, which decides what fits.

Every value is escaped: certificate names, capabilities and messages come from servers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from reconciler.plan.document import CheckedEndpoint, Checks
from reconciler.plan.evidence import CheckResult
from reconciler.render import plan_checks, wording
from reconciler.render.markdown import clipped, code, escape

CELL = 200  # escaped characters of one server-provided value in the list of endpoints
DOMAINS = 5  # domains named in a row of the failed checks; the rest are counted


def failed(endpoints: Iterable[CheckedEndpoint]) -> Iterator[str]:
    """One table row per failed endpoint, the first with the table's heading."""
    heading = (
        "\n\n| Protocol | Endpoint | Security | Step | Message | Domains |"
        "\n| --- | --- | --- | --- | --- | --- |"
    )
    for checked in endpoints:
        result, target = checked.result, checked.result.target
        domains = ", ".join(code(d) for d in checked.domains[:DOMAINS])
        if len(checked.domains) > DOMAINS:
            domains += f" and {len(checked.domains) - DOMAINS:,} more"
        cells = [
            code(target.protocol),
            code(plan_checks.host_port(target.host, target.port)),
            code(target.security),
            escape(_step(result)),
            clipped(plan_checks.message(result)),
            domains,
        ]
        yield f"{heading}\n| {' | '.join(cells)} |"
        heading = ""


def _step(result: CheckResult) -> str:
    refused = " (refused)" if result.verdict == "refused" else ""
    return f"{result.failed_step or ''}{refused}"


def warnings(checks: Checks) -> Iterator[str]:
    """One list item per warning of any endpoint (passed or failed)."""
    heading = "\n"
    for checked in checks.endpoints:
        where = code(plan_checks.label(checked.result.target))
        for warning in plan_checks.warnings(checked.result):
            yield f"{heading}\n- ⚠️ {where}: {clipped(warning)}"
            heading = ""


def listing(endpoints: tuple[CheckedEndpoint, ...]) -> str:
    """Every checked endpoint in a collapsed table; empty without endpoints."""
    if not endpoints:
        return ""
    count = wording.plural(len(endpoints), "checked endpoint", "checked endpoints")
    lines = [
        "",
        "",
        f"<details><summary>All {count}</summary>",
        "",
        "| | Endpoint | TLS | Certificate | SHA-256 | Capabilities | Time |",
        "| --- | --- | --- | --- | --- | --- | ---: |",
    ]
    lines += [_row(checked.result) for checked in endpoints]
    lines += ["", "</details>"]
    return "\n".join(lines)


def _row(result: CheckResult) -> str:
    cert = result.certificate
    certificate = pin = ""
    if cert is not None:
        certificate = (
            f"{clipped(cert.subject, CELL)}<br>issued by {clipped(cert.issuer, CELL)}"
            f"<br>until {escape(plan_checks.day(cert.not_after))}"
        )
        pin = code(wording.short_pin(cert.sha256))
    offered = clipped(" ".join(result.capabilities), CELL)
    if result.auth_mechanisms:
        offered += f"<br>auth: {clipped(' '.join(result.auth_mechanisms), CELL)}"
    cells = [
        "✅" if result.passed else "⛔",
        code(plan_checks.label(result.target)),
        escape(result.tls_version or ""),
        certificate,
        pin,
        offered,
        f"{plan_checks.milliseconds(result):,.0f} ms",
    ]
    return f"| {' | '.join(cells)} |"

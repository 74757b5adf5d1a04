"""An audit for people and programs: JSON (the ``format_version`` 1 document that the
audit workflow reads), text, Markdown (a job summary) and GitHub workflow commands. Pure.

Every view reads the same judged domains; messages come from the checks, which already
scrubbed server text of secrets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from reconciler.desired.names import to_unicode
from reconciler.plan.audit_judge import DomainAudit, Finding
from reconciler.render.diagnostics import escape_data, escape_property
from reconciler.render.markdown import code, escape

FORMAT_VERSION = 1
ANNOTATIONS = 10  # errors (and warnings) GitHub shows per step
_MARK = {"ok": "ok  ", "warning": "WARN", "failing": "FAIL"}


class AuditView(Protocol):
    """What the views need of an audit (``reconciler.app.audit.Audited``)."""

    @property
    def audited_at(self) -> str: ...
    @property
    def lineage(self) -> str | None: ...
    @property
    def serial(self) -> int: ...
    @property
    def domains(self) -> tuple[DomainAudit, ...]: ...
    @property
    def ok(self) -> bool: ...
    @property
    def duration(self) -> float: ...


def summary(audit: AuditView) -> dict[str, int]:
    verdicts = [d.verdict for d in audit.domains]
    return {
        "domains": len(audit.domains),
        "endpoints": sum(len(d.endpoints) for d in audit.domains),
        "failing": verdicts.count("failing"),
        "warning": verdicts.count("warning"),
        "ok": verdicts.count("ok"),
    }


def document(audit: AuditView) -> dict[str, Any]:
    """The JSON document, field for field as the audit workflow reads it."""
    return {
        "format_version": FORMAT_VERSION,
        "audited_at": audit.audited_at,
        "store": {"lineage": audit.lineage, "serial": audit.serial},
        "summary": summary(audit),
        "ok": audit.ok,
        "domains": [
            {
                "domain": d.domain,
                "domain_unicode": to_unicode(d.domain),
                "verdict": d.verdict,
                "findings": [_finding(f) for f in d.findings],
            }
            for d in sorted(audit.domains, key=lambda d: d.domain)
        ],
    }


def _finding(finding: Finding) -> dict[str, Any]:
    cert = None
    if finding.certificate_sha256 is not None:
        cert = {"sha256": finding.certificate_sha256, "not_after": finding.certificate_not_after}
    return {
        "endpoint": finding.endpoint,
        "host": finding.host,
        "port": finding.port,
        "severity": finding.severity,
        "kind": finding.kind,
        "message": finding.message,
        "failed_step": finding.failed_step,
        "certificate": cert,
    }


def as_json(audit: AuditView) -> str:
    return json.dumps(document(audit), indent=2, ensure_ascii=False)


def text(audit: AuditView) -> str:
    lines = []
    for d in audit.domains:
        lines.append(f"{_MARK[d.verdict]} {to_unicode(d.domain)}")
        lines.extend(f"     {f.severity}: {f.kind}: {f.message}" for f in d.findings)
    counts = summary(audit)
    lines.append(
        f"{counts['domains']} domains audited ({counts['endpoints']} endpoints): "
        f"{counts['ok']} ok, {counts['warning']} warning, {counts['failing']} failing."
    )
    return "\n".join(lines)


def markdown(audit: AuditView) -> str:
    counts = summary(audit)
    head = "✅ all domains hold" if audit.ok else "❌ domains failing"
    lines = [
        f"## mailctl audit: {head}",
        "",
        f"Audited {counts['domains']} domains ({counts['endpoints']} endpoints) at "
        f"{audit.audited_at}: {counts['ok']} ok, {counts['warning']} warning, "
        f"{counts['failing']} failing.",
    ]
    found = [(d, f) for d in audit.domains for f in d.findings]
    if found:
        lines += [
            "",
            "| Domain | Endpoint | Severity | Finding | Message |",
            "| --- | --- | --- | --- | --- |",
        ]
        for d, f in found:
            lines.append(
                f"| {escape(to_unicode(d.domain))} | {code(f'{f.endpoint} {f.host}:{f.port}')} "
                f"| {f.severity} | {code(f.kind)} | {escape(f.message)} |"
            )
    return "\n".join(lines) + "\n"


def github(audit: AuditView) -> str:
    """One ``::error`` per failure and ``::warning`` per warning (GitHub shows the first
    :data:`ANNOTATIONS` of each), then a ``::notice`` with the counts."""
    lines = []
    for severity, command in (("failure", "error"), ("warning", "warning")):
        chosen = list(_of(audit.domains, severity))
        for d, f in chosen[:ANNOTATIONS]:
            title = escape_property(f"mailctl audit: {to_unicode(d.domain)} {f.kind}")
            lines.append(f"::{command} title={title}::{escape_data(f.message)}")
    counts = summary(audit)
    lines.append(
        f"::notice title=mailctl audit::{counts['domains']} domains: {counts['ok']} ok, "
        f"{counts['warning']} warning, {counts['failing']} failing"
    )
    return "\n".join(lines)


def _of(domains: Sequence[DomainAudit], severity: str) -> Iterator[tuple[DomainAudit, Finding]]:
    for d in domains:
        for f in d.findings:
            if f.severity == severity:
                yield d, f

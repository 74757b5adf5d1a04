"""An audit in the Prometheus text exposition format, for node_exporter's textfile
collector. Pure: the caller writes it atomically (a collector must never read half).

Metrics (every endpoint of every audited domain, labels ``domain``, ``endpoint``,
``host``, ``port``):

* ``mailctl_audit_endpoint_ok``: 1 when the endpoint has no failure, else 0;
* ``mailctl_audit_certificate_expiry_days``: days until the certificate presented
  expires (negative once expired); absent when no certificate was read;
* ``mailctl_audit_domain_ok`` (label ``domain``): 1 unless the domain is failing;
* ``mailctl_audit_duration_seconds`` and ``mailctl_audit_last_run_timestamp_seconds``.
"""

from __future__ import annotations

import datetime as dt

from reconciler.render.audit_report import AuditView


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**values: str | int) -> str:
    return "{" + ",".join(f'{k}="{_label(str(v))}"' for k, v in values.items()) + "}"


def render(audit: AuditView) -> str:
    at = dt.datetime.fromisoformat(audit.audited_at.replace("Z", "+00:00"))
    ok = [
        "# HELP mailctl_audit_endpoint_ok 1 when the endpoint's audit found no failure.",
        "# TYPE mailctl_audit_endpoint_ok gauge",
    ]
    expiry = [
        "# HELP mailctl_audit_certificate_expiry_days Days until the certificate expires.",
        "# TYPE mailctl_audit_certificate_expiry_days gauge",
    ]
    domains = [
        "# HELP mailctl_audit_domain_ok 1 unless the domain's audit is failing.",
        "# TYPE mailctl_audit_domain_ok gauge",
    ]
    for d in audit.domains:
        domains.append(
            f"mailctl_audit_domain_ok{_labels(domain=d.domain)} "
            f"{0 if d.verdict == 'failing' else 1}"
        )
        for e in d.endpoints:
            target = e.result.target
            labels = _labels(
                domain=d.domain, endpoint=target.protocol, host=target.host, port=target.port
            )
            ok.append(f"mailctl_audit_endpoint_ok{labels} {1 if e.ok else 0}")
            cert = e.result.certificate
            if cert is not None:
                left = dt.datetime.fromisoformat(cert.not_after.replace("Z", "+00:00")) - at
                expiry.append(
                    f"mailctl_audit_certificate_expiry_days{labels} "
                    f"{left.total_seconds() / 86400:.3f}"
                )
    tail = [
        "# HELP mailctl_audit_duration_seconds How long the audit's checks took.",
        "# TYPE mailctl_audit_duration_seconds gauge",
        f"mailctl_audit_duration_seconds {audit.duration:.3f}",
        "# HELP mailctl_audit_last_run_timestamp_seconds When the audit ran (Unix time).",
        "# TYPE mailctl_audit_last_run_timestamp_seconds gauge",
        f"mailctl_audit_last_run_timestamp_seconds {int(at.timestamp())}",
    ]
    return "\n".join(ok + expiry + domains + tail) + "\n"

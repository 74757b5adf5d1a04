"""Request counts and latencies, and the served snapshot, in the Prometheus text format
(version 0.0.4), written by hand: a few counters need no library.

Per process: with several workers each has its own counts (scrape each, or sum).
Endpoints are route templates (``/v1/domains/{domain}``), never raw paths, so a client
cannot grow the set of series. The last audit verdict is one series per audited domain
(``mailctl_audit_domain_verdict{domain,verdict} 1``, the verdict label taking one of
three values): as many series as stored domains, bounded by the store, not by clients.
``mailctl_audit_domains{verdict}`` counts them, four series, for dashboards that need no
per-domain detail.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from reconciler.serve.snapshot import Snapshot

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0


class Metrics:
    """Counters updated by the request middleware (on the event loop: no lock)."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, int], int] = {}
        self.latency: dict[str, _Histogram] = {}

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        key = (endpoint, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        histogram = self.latency.setdefault(endpoint, _Histogram())
        histogram.counts[bisect_left(BUCKETS, seconds)] += 1
        histogram.total += seconds

    def render(self, current: Snapshot, store_up: bool) -> bytes:
        lines = [
            "# HELP mailctl_serve_requests_total HTTP requests answered, by endpoint and status.",
            "# TYPE mailctl_serve_requests_total counter",
        ]
        for (endpoint, status), count in sorted(self.requests.items()):
            labels = f'endpoint="{_label(endpoint)}",status="{status}"'
            lines.append(f"mailctl_serve_requests_total{{{labels}}} {count}")
        lines += [
            "# HELP mailctl_serve_request_duration_seconds Time to answer, by endpoint.",
            "# TYPE mailctl_serve_request_duration_seconds histogram",
        ]
        for endpoint, histogram in sorted(self.latency.items()):
            label = f'endpoint="{_label(endpoint)}"'
            running = 0
            for bound, count in zip((*BUCKETS, "+Inf"), histogram.counts, strict=True):
                running += count
                lines.append(
                    f'mailctl_serve_request_duration_seconds_bucket{{{label},le="{bound}"}} '
                    f"{running}"
                )
            lines.append(f"mailctl_serve_request_duration_seconds_sum{{{label}}} {histogram.total}")
            lines.append(f"mailctl_serve_request_duration_seconds_count{{{label}}} {running}")
        lines += [
            "# HELP mailctl_serve_serial The store serial of the snapshot being served.",
            "# TYPE mailctl_serve_serial gauge",
            f"mailctl_serve_serial {current.serial}",
            "# HELP mailctl_serve_domains Domains in the snapshot being served.",
            "# TYPE mailctl_serve_domains gauge",
            f"mailctl_serve_domains {len(current.domains)}",
            "# HELP mailctl_serve_store_up 1 if the last poll of the store succeeded.",
            "# TYPE mailctl_serve_store_up gauge",
            f"mailctl_serve_store_up {int(store_up)}",
            *_audit_lines(current),
        ]
        return ("\n".join(lines) + "\n").encode()


def _audit_lines(current: Snapshot) -> list[str]:
    counts = {"ok": 0, "warning": 0, "failing": 0}
    lines = [
        "# HELP mailctl_audit_domain_verdict The last audit verdict of each audited domain.",
        "# TYPE mailctl_audit_domain_verdict gauge",
    ]
    for name in sorted(current.audits):
        verdict = current.audits[name].verdict
        counts[verdict] += 1
        labels = f'domain="{_label(name)}",verdict="{verdict}"'
        lines.append(f"mailctl_audit_domain_verdict{{{labels}}} 1")
    counts["not_audited"] = len(current.domains) - len(current.audits)
    lines += [
        "# HELP mailctl_audit_domains Domains by their last audit verdict.",
        "# TYPE mailctl_audit_domains gauge",
        *(f'mailctl_audit_domains{{verdict="{v}"}} {n}' for v, n in counts.items()),
    ]
    return lines


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

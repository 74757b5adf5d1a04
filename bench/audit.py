"""Benchmark ``audit``: 1,000 stored domains (2,000 endpoints) behind the 50 ms delay proxy.

The servers and the proxy are the checks benchmark's (bench/checks.py): one real Dovecot
(implicit TLS, reused login processes) and, here, one aiosmtpd (implicit TLS, in a child
process of its own) with a certificate for ``*.bench.test.example``; two delay-proxy
child processes listen on the same 1,000 addresses 127.1.x.y, one port for IMAP and one
for SMTP. Domain ``dNNNN.bench.example`` has ``iNNNN.bench.test.example`` (IMAP) and
``sNNNN.bench.test.example`` (SMTP), pinned (``CheckOptions.pinned``, as ``--resolve``)
to address NNNN, so every endpoint has its own host name and no per-server cap applies.

Each backend (SQLite in a temporary folder, PostgreSQL in a throwaway cluster) gets the
1,000 domains by one apply and a full history (the default retention, 30 runs per
endpoint), so every recorded run also prunes 2,000 rows. Per round, interleaved (the
order reversed every other round):

- **floor**: ceil(2000 / pool) x one check through the proxy, one check being the mean of
  the median IMAP and the median SMTP check of ``--sample`` sequential checks (as
  bench/checks.py defines its floor, for two kinds of endpoint);
- **subject**: ``audit()`` of the store (the ``mailctl audit`` use case, in-process), on
  each backend with recording (the default) and without (``--no-record``).

Reported: medians over ``--repeat`` rounds of per-round ratios (each audit against that
round's floor, target <= 1.5; each backend's recorded audit against its unrecorded one,
target <= 10%), so drift between rounds cancels; and the time spent inside
``record_evidence`` itself, as a share of the unrecorded audit. Every endpoint must pass in every
audit, else the run stops.

    python3 bench/audit.py [--repeat 4] [--sample 20] [--json] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import trustme

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "bench"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from checks import DELAY, REUSE_LOGIN, listen_address, run_proxy  # noqa: E402
from validate import revision  # noqa: E402

from reconciler.app.audit import Audited, AuditRequest, audit  # noqa: E402
from reconciler.app.options import CheckOptions  # noqa: E402
from reconciler.checks import check_endpoint, static_resolver  # noqa: E402
from reconciler.checks.runner import DEFAULT_POOL  # noqa: E402
from reconciler.desired.model import Domain  # noqa: E402
from reconciler.plan.evidence import CheckTarget  # noqa: E402
from reconciler.plan.evidence_history import DEFAULT_RETENTION  # noqa: E402
from reconciler.store.base import Store  # noqa: E402
from reconciler.store.open import open_store  # noqa: E402
from tests import pgcluster  # noqa: E402
from tests.checks import servers  # noqa: E402
from tests.checks.pki import Pair, write_leaf  # noqa: E402
from tests.store.requests import request  # noqa: E402

DOMAINS = 1000
ENDPOINTS = 2 * DOMAINS
TARGETS = {"floor_ratio": 1.5, "record_overhead": 0.10}  # at most


def _serve_smtp(pair: Pair, port: int, ready: Connection) -> None:
    from aiosmtpd.controller import Controller

    context = servers.server_context(pair)
    controller = Controller(servers._Sink(), hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    ready.send("ready")
    while True:
        time.sleep(3600)


def _child(target: Callable[..., None], *args: Any) -> multiprocessing.Process:
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("fork").Process(
        target=target, args=(*args, send), daemon=True
    )
    process.start()
    if not receive.poll(60):
        sys.exit(f"bench: {target.__name__} did not start")
    return process


@dataclass
class World:
    domains: list[Domain]
    checks: CheckOptions
    samples: list[CheckTarget]  # alternating IMAP and SMTP, for the floor
    sample_options: dict[str, Any]


@contextmanager
def started() -> Iterator[World]:
    """Dovecot, aiosmtpd and two delay proxies; every child stopped by PID after."""
    root = Path(tempfile.mkdtemp(prefix="mailctl-bench-audit-"))
    root.chmod(0o755)  # Dovecot's auth process reads the passwd-file as the dovecot user
    ca, ca_file = trustme.CA(), root / "ca.pem"
    ca_file.write_bytes(ca.cert_pem.bytes())
    pair = write_leaf(ca.issue_cert("*.bench.test.example"), root, "bench")
    dovecot = servers.start_dovecot(root / "dovecot", pair, extra_conf=REUSE_LOGIN)
    children: list[multiprocessing.Process] = []
    try:
        smtp_port = servers.free_port()
        children.append(_child(_serve_smtp, pair, smtp_port))
        imap_front, smtp_front = servers.free_port(listen_address(0)), 0
        children.append(_child(run_proxy, dovecot.tls_port, imap_front))
        while smtp_front in (0, imap_front):
            smtp_front = servers.free_port(listen_address(0))
        children.append(_child(run_proxy, smtp_port, smtp_front))
        pinned: dict[str, list[str]] = {}
        domains = []
        for i in range(DOMAINS):
            imap, smtp = f"i{i:04d}.bench.test.example", f"s{i:04d}.bench.test.example"
            pinned[imap] = pinned[smtp] = [listen_address(i)]
            domains.append(
                Domain.model_validate(
                    {
                        "name": f"d{i:04d}.bench.example",
                        "imap": {"host": imap, "port": imap_front, "security": "ssl"},
                        "smtp": {"host": smtp, "port": smtp_front, "security": "ssl"},
                    }
                )
            )
        checks = CheckOptions(allow_private=True, ca_file=ca_file, pinned=pinned, env={})
        samples = [
            CheckTarget(
                protocol=p, host=f"{p[0]}{i:04d}.bench.test.example", port=port, security="ssl"
            )
            for i in range(0, DOMAINS, 7)
            for p, port in (("imap", imap_front), ("smtp", smtp_front))
        ]
        sample_options = {
            "allow_private": True,
            "ca_file": ca_file,
            "env": {},
            "resolver": static_resolver({h: tuple(a) for h, a in pinned.items()}),
        }
        yield World(domains, checks, samples, sample_options)
    finally:
        for child in children:
            child.terminate()
            child.join(10)
        servers.stop_dovecots([dovecot])
        shutil.rmtree(root, ignore_errors=True)


class Timed:
    """Adds up the seconds spent in the store's ``record_evidence``."""

    def __init__(self, store: Store) -> None:
        self.seconds: list[float] = []
        inner = store.record_evidence

        def record_evidence(records: Any, keep: int) -> None:
            began = time.perf_counter()
            inner(records, keep)
            self.seconds.append(time.perf_counter() - began)

        store.record_evidence = record_evidence  # type: ignore[method-assign]


def verify(audited: Audited) -> None:
    bad = [(d.domain, f.kind, f.message) for d in audited.domains for f in d.findings]
    if bad or len(audited.domains) != DOMAINS:
        sys.exit(f"bench: {len(bad)} findings in the audit; first: {bad[:1]}")


def prepared(url: str, world: World) -> Store:
    """A store with the domains and a full history, as after months of audits."""
    store = open_store(url)
    store.apply(request(store.read(), world.domains, actor="bench"))
    first = audit(AuditRequest(checks=world.checks), store=store)  # warm-up, recorded
    verify(first)
    latest = list(store.latest_evidence().values())
    for _ in range(DEFAULT_RETENTION - 1):
        run_id = uuid.uuid4().hex
        store.record_evidence([replace(r, run_id=run_id) for r in latest], DEFAULT_RETENTION)
    return store


def one_check_s(world: World, sample: int, round_: int) -> tuple[float, float]:
    """Median IMAP and median SMTP check of ``sample`` sequential checks."""
    n = len(world.samples)
    first = round_ * sample % n
    chosen = (world.samples * 2)[first:][:sample]

    async def loop() -> dict[str, list[float]]:
        each: dict[str, list[float]] = {"imap": [], "smtp": []}
        for target in chosen:
            began = time.perf_counter()
            result = await check_endpoint(target, **world.sample_options)
            if not result.passed:
                sys.exit(f"bench: {target.host}: {result.failed_step}: {result.message}")
            each[target.protocol].append(time.perf_counter() - began)
        return each

    each = asyncio.run(loop())
    return statistics.median(each["imap"]), statistics.median(each["smtp"])


def measure(world: World, stores: dict[str, Store], args: argparse.Namespace) -> dict[str, Any]:
    timed = {name: Timed(store) for name, store in stores.items()}
    rounds: dict[str, list[float]] = {"floor_s": []}
    ones: list[tuple[float, float]] = []

    def floor() -> None:
        imap, smtp = one_check_s(world, args.sample, len(ones))
        ones.append((imap, smtp))
        rounds["floor_s"].append(math.ceil(ENDPOINTS / DEFAULT_POOL) * (imap + smtp) / 2)

    def subject(name: str, record: bool) -> Callable[[], None]:
        def run() -> None:
            began = time.perf_counter()
            audited = audit(AuditRequest(checks=world.checks, record=record), store=stores[name])
            rounds.setdefault(f"{name}_{'record' if record else 'no_record'}_s", []).append(
                time.perf_counter() - began
            )
            verify(audited)

        return run

    sides = [floor] + [subject(name, record) for name in stores for record in (True, False)]
    for i in range(args.repeat):
        for side in reversed(sides) if i % 2 else sides:
            side()
    median = {k: statistics.median(v) for k, v in rounds.items()}
    results: dict[str, Any] = {
        "one_check_s": {
            "imap": statistics.median(o[0] for o in ones),
            "smtp": statistics.median(o[1] for o in ones),
        },
        "floor_s": median["floor_s"],
        "rounds": rounds,
        "backends": {},
    }
    for name in stores:
        with_, without = rounds[f"{name}_record_s"], rounds[f"{name}_no_record_s"]
        # Paired within each round, so the machine's drift from one round to the next
        # (other jobs on the shared CPUs) cancels out of the ratios.
        results["backends"][name] = {
            "record_s": statistics.median(with_),
            "no_record_s": statistics.median(without),
            "floor_ratio": statistics.median(
                max(w, o) / f for w, o, f in zip(with_, without, rounds["floor_s"], strict=True)
            ),
            "record_overhead": statistics.median(
                w / o - 1 for w, o in zip(with_, without, strict=True)
            ),
            "record_evidence_s": statistics.median(timed[name].seconds),
            "record_evidence_share": statistics.median(timed[name].seconds)
            / statistics.median(without),
        }
    return results


def render(report: dict[str, Any]) -> str:
    r = report["results"]
    lines = [
        f"audit: {DOMAINS} domains, {ENDPOINTS} endpoints, pool {DEFAULT_POOL}, "
        f"+{report['delay_ms']:g} ms each way, median of {report['arguments']['repeat']}, "
        f"python {report['python']}, nproc {report['nproc']}, revision {report['revision']}",
        f"one check through the proxy: IMAP {r['one_check_s']['imap']:.3f} s, "
        f"SMTP {r['one_check_s']['smtp']:.3f} s; floor {r['floor_s']:.2f} s",
        f"{'backend':<11} {'audit s':>8} {'no-record s':>12} {'ratio':>6} {'recording':>10} "
        f"{'record_evidence s (share)':>20}",
        *(
            f"{name:<11} {b['record_s']:8.2f} {b['no_record_s']:12.2f} {b['floor_ratio']:6.2f} "
            f"{b['record_overhead']:+10.1%} {b['record_evidence_s']:11.3f} "
            f"({b['record_evidence_share']:.1%})"
            for name, b in r["backends"].items()
        ),
    ]
    for name, ok in report["passed"].items():
        lines.append(f"{'PASS' if ok else 'FAIL'} {name}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--repeat", type=int, default=4, help="rounds; medians reported")
    add("--sample", type=int, default=20, help="sequential checks a round, for the floor")
    add("--json", action="store_true", help="print results as JSON")
    add("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    if args.repeat < 1 or args.sample < 2:
        parser.error("--repeat must be at least 1 and --sample at least 2")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with started() as world, ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        cluster = pgcluster.start()
        stack.callback(cluster.stop)
        urls = {
            "sqlite": f"sqlite:///{tmp}/state.db",
            "postgresql": cluster.create_database("bench"),
        }
        stores = {}
        for name, url in urls.items():
            stores[name] = prepared(url, world)
            stack.callback(stores[name].close)
        results = measure(world, stores, args)
    backends = results["backends"].values()
    passed = {
        f"floor_ratio <= {TARGETS['floor_ratio']:g} (every audit)": all(
            b["floor_ratio"] <= TARGETS["floor_ratio"] for b in backends
        ),
        f"recording adds <= {TARGETS['record_overhead']:.0%} (each backend)": all(
            b["record_overhead"] <= TARGETS["record_overhead"] for b in backends
        ),
    }
    report = {
        "domains": DOMAINS,
        "endpoints": ENDPOINTS,
        "delay_ms": DELAY * 1000,
        "pool": DEFAULT_POOL,
        "retention": DEFAULT_RETENTION,
        "arguments": {k: v for k, v in vars(args).items() if k not in ("json", "check")},
        "python": platform.python_version(),
        "nproc": len(os.sched_getaffinity(0)),
        "load_average": os.getloadavg(),
        "revision": revision(),
        "results": results,
        "targets": TARGETS,
        "passed": passed,
    }
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 1 if args.check and not all(passed.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

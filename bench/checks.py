"""Benchmark the live-check runner: 1,000 distinct endpoints behind a 50 ms delay proxy.

One real Dovecot (tests/checks/servers.py) serves implicit TLS on loopback with a
certificate for ``*.bench.test.example`` from a throwaway trustme CA. A delay proxy in a
child process (not competing with the checks for this process's event loop) listens on
1,000 addresses 127.1.x.y (one port) and forwards to Dovecot, each chunk and EOF 50 ms
after it arrived, in each direction (netem is not available here); it connects from
127.2.x.y, so Dovecot sees 1,000 clients. Every endpoint has its own host name
(``static_resolver``), so neither per-server cap applies. Dovecot's imap-login runs in
its high-performance mode (reused processes): a fork per connection (the fixture's
default; ``--high-security``) costs the shared 2 CPUs more than the checker itself.

A check is TLS, certificate, greeting, CAPABILITY, LOGOUT (no credentials); ``--login``
adds LOGIN. ``--system-bundle`` makes ``ca_file`` the system CAs plus the test CA, so
each check pays what a production check pays to load the system's CAs.

- **floor**: ceil(1000 / pool) x one check through the proxy (median of the round's
  sequential checks); **subject**: ``check_all`` of the 1,000 at ``DEFAULT_POOL``;
- **sequential**: a plain loop of ``await check_endpoint``: ``--sample`` checks a round,
  extrapolated to 1,000 (``--sequential-all`` runs all 1,000).

Rounds alternate which side goes first; medians over ``--repeat`` rounds are reported.
Every check must pass, else the run stops. ``--pools`` are measured once each.

    python3 bench/checks.py [--repeat 5] [--sample 20] [--pools 8,64] [--json] [--check]
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
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import trustme

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ holds the Dovecot and certificate helpers

from validate import interleave, revision  # noqa: E402

from reconciler.checks import check_endpoint, static_resolver  # noqa: E402
from reconciler.checks.runner import DEFAULT_PER_HOST, DEFAULT_POOL, check_all  # noqa: E402
from reconciler.plan.evidence import CheckResult, CheckTarget  # noqa: E402
from tests.checks import servers  # noqa: E402
from tests.checks.harness import CREDENTIALS, login_env  # noqa: E402
from tests.checks.pki import write_leaf  # noqa: E402

ENDPOINTS = 1000
DELAY = 0.050  # seconds, each direction
TARGETS = {"floor_ratio": 1.5, "speedup": 20.0}  # at most, at least
REUSE_LOGIN = "service imap-login {\n  service_count = 0\n  process_min_avail = 2\n}\n"


def listen_address(i: int) -> str:
    return f"127.1.{i // 200}.{i % 200 + 1}"


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A delay line: each chunk (and the EOF) leaves DELAY after it arrived."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def feed() -> None:
        try:
            while data := await reader.read(65536):
                queue.put_nowait((loop.time() + DELAY, data))
        finally:
            queue.put_nowait((loop.time() + DELAY, b""))

    feeder = asyncio.create_task(feed())
    try:
        while data := (item := await queue.get())[1]:
            await asyncio.sleep(item[0] - loop.time())
            writer.write(data)
            await writer.drain()
        await asyncio.sleep(item[0] - loop.time())
        writer.write_eof()
    except OSError:
        pass
    finally:
        feeder.cancel()


async def _handle(upstream: int, source: str, reader: Any, writer: Any) -> None:
    try:
        up = await asyncio.open_connection("127.0.0.1", upstream, local_addr=(source, 0))
    except OSError:
        writer.close()
        return
    await asyncio.gather(_pump(reader, up[1]), _pump(up[0], writer))
    up[1].close()
    writer.close()


async def _serve_proxy(upstream: int, port: int, ready: Connection) -> None:
    for i in range(ENDPOINTS):
        source = listen_address(i).replace("127.1.", "127.2.", 1)
        handle = partial(_handle, upstream, source)
        await asyncio.start_server(handle, listen_address(i), port, backlog=128)
    ready.send("ready")
    await asyncio.Event().wait()


def run_proxy(upstream: int, port: int, ready: Connection) -> None:
    asyncio.run(_serve_proxy(upstream, port, ready))


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid``, its live children and its reaped children (from /proc)."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.name == str(pid):
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif fields[1] == str(pid):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def idle_and_total() -> tuple[int, int]:
    ticks = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return ticks[3] + ticks[4], sum(ticks)


def verify(results: list[CheckResult]) -> None:
    if bad := [r for r in results if not r.passed or r.logged_in is False]:
        first = f"{bad[0].target.host}: {bad[0].failed_step}: {bad[0].message}"
        sys.exit(f"bench: {len(bad)} checks did not pass; first: {first}")


class Bench:
    def __init__(self, targets: list[CheckTarget], options: dict[str, Any], pids: list[int]):
        self.targets, self.options, self.pids = targets, options, pids
        self.usage: list[list[float]] = []  # per DEFAULT_POOL run: checker, proxy, Dovecot

    def _cpu(self) -> list[float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        return [own.ru_utime + own.ru_stime, *map(tree_cpu, self.pids), *idle_and_total()]

    def concurrent(self, pool: int) -> float:
        before, start = self._cpu(), time.perf_counter()
        results = check_all(self.targets, pool=pool, per_host=DEFAULT_PER_HOST, **self.options)
        seconds = time.perf_counter() - start
        verify(results)
        if pool == DEFAULT_POOL:
            delta = [b - a for a, b in zip(before, self._cpu(), strict=True)]
            self.usage.append([*delta[:3], 1 - delta[3] / delta[4]])
        return seconds

    def sequential(self, sample: list[CheckTarget]) -> tuple[float, list[float]]:
        """Seconds of a plain loop over ``sample``, and of each check in it."""

        async def loop() -> tuple[float, list[float]]:
            each: list[float] = []
            start = time.perf_counter()
            for target in sample:
                began = time.perf_counter()
                verify([await check_endpoint(target, **self.options)])
                each.append(time.perf_counter() - began)
            return time.perf_counter() - start, each

        return asyncio.run(loop())


def measure(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    n, floors = len(bench.targets), list[float]()

    def sequential() -> float:  # appends this round's floor
        first = len(floors) * args.sample % n
        sample = (
            bench.targets if args.sequential_all else (bench.targets * 2)[first:][: args.sample]
        )
        total, each = bench.sequential(sample)
        floors.append(statistics.median(each))
        return total / len(each) * n  # extrapolated unless --sequential-all

    verify(check_all(bench.targets[:DEFAULT_POOL], **bench.options))  # warm-up
    seq, subject = interleave(sequential, lambda: bench.concurrent(DEFAULT_POOL), args.repeat)
    one, pools = statistics.median(floors), {DEFAULT_POOL: statistics.median(subject)}
    pools |= {pool: bench.concurrent(pool) for pool in args.pools}
    usage = [statistics.median(side) for side in zip(*bench.usage, strict=True)]
    return {
        "one_check_s": one,
        "rounds": {"concurrent_s": subject, "sequential_s": seq, "one_check_s": floors},
        "sequential_s": statistics.median(seq),
        "sequential_extrapolated": not args.sequential_all,
        "floor_ratio": pools[DEFAULT_POOL] / (math.ceil(n / DEFAULT_POOL) * one),
        "speedup": statistics.median(seq) / pools[DEFAULT_POOL],
        "pools": {
            p: {"seconds": s, "floor_s": (f := math.ceil(n / p) * one), "floor_ratio": s / f}
            for p, s in sorted(pools.items())
        },
        "cpu_ms_per_check": {
            k: v * 1000 / n for k, v in zip(("checker", "proxy", "dovecot"), usage, strict=False)
        },
        "machine_busy": usage[3],
    }


def render(report: dict[str, Any]) -> str:
    r = report["results"]
    how = "extrapolated from a sample" if r["sequential_extrapolated"] else "all run"
    cpu = ", ".join(f"{k} {v:.1f}" for k, v in r["cpu_ms_per_check"].items())
    lines = [
        f"checks: {ENDPOINTS} endpoints, +{DELAY * 1000:g} ms each way, median of "
        f"{report['arguments']['repeat']}, python {report['python']}, nproc "
        f"{report['nproc']}, revision {report['revision']}",
        f"one check through the proxy: {r['one_check_s']:.3f} s",
        f"{'pool':>5} {'floor s':>9} {'wall s':>9} {'ratio':>6}",
        *(
            f"{p:>5} {v['floor_s']:9.2f} {v['seconds']:9.2f} {v['floor_ratio']:6.2f}"
            for p, v in r["pools"].items()
        ),
        f"sequential: {r['sequential_s']:.1f} s ({how}); speed-up at pool {DEFAULT_POOL}: "
        f"{r['speedup']:.1f}x",
        f"at pool {DEFAULT_POOL}: CPU ms per check: {cpu}; machine (all processes) "
        f"{r['machine_busy']:.0%} busy",
    ]
    for name, ok in report["passed"].items():
        sign = "<=" if name == "floor_ratio" else ">="
        lines.append(f"{'PASS' if ok else 'FAIL'} {name} {sign} {TARGETS[name]:g}")
    return "\n".join(lines)


@contextmanager
def started(args: argparse.Namespace) -> Iterator[Bench]:
    """Dovecot, the delay proxy and the 1,000 targets; everything stopped by PID after."""
    root = Path(tempfile.mkdtemp(prefix="mailctl-bench-checks-"))
    root.chmod(0o755)  # Dovecot's auth process reads the passwd-file as the dovecot user
    ca, ca_file = trustme.CA(), root / "ca.pem"
    system = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")
    ca_file.write_bytes((system.read_bytes() if args.system_bundle else b"") + ca.cert_pem.bytes())
    pair = write_leaf(ca.issue_cert("*.bench.test.example"), root, "bench")
    reuse = "" if args.high_security else REUSE_LOGIN
    dovecot = servers.start_dovecot(root / "dovecot", pair, extra_conf=reuse)
    receive, send = multiprocessing.Pipe(duplex=False)
    port = servers.free_port(listen_address(0))
    serve = partial(run_proxy, dovecot.tls_port, port, send)
    proxy = multiprocessing.get_context("fork").Process(target=serve, daemon=True)
    try:
        proxy.start()
        if not receive.poll(60) or proxy.pid is None:
            sys.exit("bench: the delay proxy did not start")
        names = {f"e{i:04d}.bench.test.example": [listen_address(i)] for i in range(ENDPOINTS)}
        login = CREDENTIALS if args.login else {}
        targets = [
            CheckTarget(protocol="imap", host=h, port=port, security="ssl", **login) for h in names
        ]
        options = {"allow_private": True, "ca_file": ca_file, "env": login_env("alice")}
        options["resolver"] = static_resolver(names)
        yield Bench(targets, options, [proxy.pid, dovecot.pid()])
    finally:
        if proxy.pid is not None:
            proxy.terminate()
            proxy.join(10)
        servers.stop_dovecots([dovecot])
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--repeat", type=int, default=5, help="rounds; medians reported")
    add("--sample", type=int, default=20, help="sequential checks a round")
    add("--sequential-all", action="store_true", help="run all 1,000 sequentially")
    add("--pools", type=lambda s: [int(p) for p in s.split(",") if p], default=[8, 64],
        help="more pool sizes, once each ('' for none)")  # fmt: skip
    add("--login", action="store_true", help="checks log in too")
    add("--system-bundle", action="store_true", help="ca_file holds the system CAs too")
    add("--high-security", action="store_true", help="Dovecot forks per connection")
    add("--json", action="store_true", help="print results as JSON")
    add("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    if args.repeat < 1 or args.sample < 1 or any(p < 1 for p in args.pools):
        parser.error("--repeat, --sample and pool sizes must be at least 1")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # ~4 sockets per open check
    with started(args) as bench:
        results = measure(bench, args)
    passed = {
        "floor_ratio": results["floor_ratio"] <= TARGETS["floor_ratio"],
        "speedup": results["speedup"] >= TARGETS["speedup"],
    }
    report = {
        "endpoints": ENDPOINTS,
        "delay_ms": DELAY * 1000,
        "pool": DEFAULT_POOL,
        "per_host": DEFAULT_PER_HOST,
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

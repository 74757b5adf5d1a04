"""Benchmark `mailctl serve` against automx2 and against nginx serving the files of
`mailctl autoconfig export`, all seeded with the same 10,000 domains and driven by wrk
on 127.0.0.1 in the same run. See bench/README.md.

    python3 bench/serve.py [--domains 10000] [--workers 2] [--duration 10] [--repeat 3]
                           [--connections 32] [--json] [--check] [--automx2 SPEC]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import serve_targets as targets
from validate import revision

WRK = "/usr/bin/wrk"
MIN_RPS_RATIO_AUTOMX2 = 2.0  # mailctl serve / automx2, requests per second, each endpoint
MIN_RPS_RATIO_NGINX = 0.3  # mailctl serve / nginx serving the exported files
MAX_WORKER_RSS_MB = 150.0  # each uvicorn worker, after the load
PORTS = {"mailctl": 18431, "automx2": 18432, "nginx": 18433}
GET_PATH = "/mail/config-v1.1.xml?emailaddress={local}%40{domain}"
POST_PATH = "/autodiscover/autodiscover.xml"
REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
RESPONSE_SCHEMA = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
POST_BODY = (
    '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="' + REQUEST_NS + '">'
    "<Request><EMailAddress>{address}</EMailAddress><AcceptableResponseSchema>"
    + RESPONSE_SCHEMA
    + "</AcceptableResponseSchema></Request></Autodiscover>"
)

# wrk scripts: every thread builds one request per domain up front and walks them from
# a random start; any answer other than 200 is counted (wrk itself counts only >= 400).
LUA = """\
local n = {count}
local threads = {{}}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  bad = 0
  requests = {{}}
  for i = 0, n - 1 do
    local domain = string.format("d%06d.example.com", i)
    requests[i + 1] = {make}
  end
  math.randomseed(os.time() * 100 + id)
  idx = math.random(n)
end
function request()
  idx = idx % n + 1
  return requests[idx]
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("NOT200 %d\\n", total))
end
"""
LUA_GET = (
    'wrk.format("GET", string.format("/mail/config-v1.1.xml?emailaddress=user%d%%40%s", i, domain))'
)
LUA_POST = (
    'wrk.format("POST", "' + POST_PATH + '", {["Content-Type"] = "text/xml; charset=utf-8"}, '
    "string.format([[" + POST_BODY.format(address="user%d@%s") + "]], i, domain))"
)


def write_scripts(tmp: Path, count: int) -> dict[str, Path]:
    scripts = {}
    for kind, make in (("get", LUA_GET), ("post", LUA_POST)):
        scripts[kind] = tmp / f"{kind}.lua"
        scripts[kind].write_text(LUA.format(count=count, make=make))
    return scripts


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def parse_wrk(out: str) -> dict[str, float]:
    """requests/s, p99 (ms), requests, not-200 answers and socket errors of wrk's output."""

    def number(pattern: str) -> re.Match[str]:
        found = re.search(pattern, out, re.MULTILINE)
        if found is None:
            sys.exit(f"bench: wrk output without {pattern!r}:\n{out}")
        return found

    p99 = number(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(number(r"^Requests/sec:\s+([\d.]+)").group(1)),
        "p99_ms": float(p99.group(1)) * UNITS[p99.group(2)],
        "requests": int(number(r"^\s+(\d+) requests in").group(1)),
        "not_200": int(number(r"^NOT200 (\d+)").group(1)),
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
    }


def run_wrk(base: str, script: Path, args: argparse.Namespace, seconds: int) -> dict[str, float]:
    argv = [WRK, "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s"]
    argv += ["--latency", "-s", str(script), base + "/"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench: wrk exited {done.returncode}: {done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


# --- answers are right before they are timed ----------------------------------------


def fetch(base: str, kind: str, domain: str) -> bytes:
    if kind == "get":
        request = urllib.request.Request(base + GET_PATH.format(local="user1", domain=domain))
    else:
        body = POST_BODY.format(address=f"user1@{domain}").encode()
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        request = urllib.request.Request(base + POST_PATH, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            if answer.status == 200:
                return bytes(answer.read())
            status = answer.status
    except urllib.error.HTTPError as exc:
        if kind == "post" and exc.code in (404, 405):
            raise  # not served there (serves_autodiscover)
        status = exc.code
    sys.exit(f"bench: {base} answered {status} for {kind} {domain}")


def verify(servers: dict[str, targets.Server], kinds: dict[str, list[str]], domains: Any) -> None:
    """Each server answers with the domain's servers; mailctl's autoconfig bytes are the
    exported file's (nginx's)."""
    for name in list(domains)[:: max(1, len(domains) // 20)]:
        domain = domains[name]
        for kind, names in kinds.items():
            answers = {server: fetch(servers[server].base, kind, name) for server in names}
            for server, body in answers.items():
                if domain.imap.host.encode() not in body or domain.smtp.host.encode() not in body:
                    sys.exit(f"bench: {server} {kind} for {name} lacks its servers:\n{body!r}")
            if kind == "get" and answers["mailctl"] != answers["nginx"]:
                sys.exit(f"bench: mailctl's autoconfig for {name} differs from the export")


def serves_autodiscover(base: str) -> bool:
    try:
        fetch(base, "post", "d000000.example.com")
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 405):
            return False
        raise
    return True


# --- memory and snapshot switch ------------------------------------------------------


def worker_rss(server: targets.Server) -> list[float]:
    """RSS (MB) of each worker process: the children that serve (uvicorn's spawned
    workers, gunicorn's and nginx's workers), or the process itself when it serves
    alone."""
    pid = server.process.pid
    children = [p for p in targets.descendants(pid) if "resource_tracker" not in targets.cmdline(p)]
    return [targets.rss_mb(p) for p in children] or [targets.rss_mb(pid)]


def time_call(call: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def measure_switch(url: str, tmp: Path, domains: dict[str, Any], repeat: int) -> dict[str, Any]:
    """In-process: what a worker does when the serial moved (``SnapshotSource.poll``:
    head, full read, head, building every answer of every domain), against the floor
    of the bare ``store.read()`` the poll cannot avoid. Each round applies a new serial
    (one domain's IMAP port changed) first."""
    from reconciler.serve.poller import SnapshotSource
    from reconciler.store.open import open_store

    source = SnapshotSource(lambda: open_store(url, read_only=True))
    source.poll()
    first = next(iter(domains))
    floors, polls = [], []
    for i in range(repeat):
        port = 143 if i % 2 == 0 else 993
        changed = {
            **domains,
            first: domains[first].model_copy(
                update={"imap": domains[first].imap.model_copy(update={"port": port})}
            ),
        }
        targets.apply_domains(url, tmp / "domains.yaml", changed.values())
        reader = open_store(url, read_only=True)
        try:
            floors.append(time_call(reader.read))
        finally:
            reader.close()
        polls.append(time_call(lambda: source.poll() or sys.exit("bench: poll did not switch")))
    source.close()
    floor, poll = statistics.median(floors), statistics.median(polls)
    return {"read_s": floor, "switch_s": poll, "ratio": poll / floor, "domains": len(domains)}


# --- the run -------------------------------------------------------------------------


def load(
    servers: dict[str, targets.Server],
    cases: list[tuple[str, str]],
    scripts: dict[str, Path],
    args: argparse.Namespace,
) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Each (kind, server) case for ``--duration`` seconds per round, after a short
    warm-up; the order rotates each round and every other round is reversed."""
    for kind, name in cases:
        run_wrk(servers[name].base, scripts[kind], args, min(2, args.duration))
    runs: dict[str, dict[str, list[dict[str, float]]]] = {}
    for round_ in range(args.repeat):
        order = cases[round_ % len(cases) :] + cases[: round_ % len(cases)]
        for kind, name in order if round_ % 2 == 0 else reversed(order):
            result = run_wrk(servers[name].base, scripts[kind], args, args.duration)
            if result["not_200"] or result["socket_errors"]:
                sys.exit(f"bench: {name} {kind}: {result}")
            runs.setdefault(kind, {}).setdefault(name, []).append(result)
    return runs


def summarise(runs: dict[str, dict[str, list[dict[str, float]]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for kind, by_server in runs.items():
        summary[kind] = {
            name: {
                "rps": statistics.median(r["rps"] for r in results),
                "p99_ms": statistics.median(r["p99_ms"] for r in results),
                "requests": sum(int(r["requests"]) for r in results),
            }
            for name, results in by_server.items()
        }
    return summary


def judge(summary: dict[str, Any], rss: dict[str, list[float]]) -> dict[str, dict[str, Any]]:
    """Each target: the figure, its limit, passed."""
    judged: dict[str, dict[str, Any]] = {}
    for kind, figures in summary.items():
        if "mailctl" not in figures:
            continue
        mailctl = figures["mailctl"]
        if "automx2" in figures:
            ratio = mailctl["rps"] / figures["automx2"]["rps"]
            judged[f"{kind}_rps_vs_automx2"] = {
                "value": ratio, "limit": f">= {MIN_RPS_RATIO_AUTOMX2}",
                "passed": ratio >= MIN_RPS_RATIO_AUTOMX2,
            }  # fmt: skip
            judged[f"{kind}_p99_below_automx2"] = {
                "value": mailctl["p99_ms"], "limit": f"< {figures['automx2']['p99_ms']:.2f} ms",
                "passed": mailctl["p99_ms"] < figures["automx2"]["p99_ms"],
            }  # fmt: skip
        if "nginx" in figures:
            ratio = mailctl["rps"] / figures["nginx"]["rps"]
            judged[f"{kind}_rps_vs_nginx"] = {
                "value": ratio, "limit": f">= {MIN_RPS_RATIO_NGINX}",
                "passed": ratio >= MIN_RPS_RATIO_NGINX,
            }  # fmt: skip
    worst = max(rss["mailctl"])
    judged["worker_rss_mb"] = {
        "value": worst, "limit": f"<= {MAX_WORKER_RSS_MB:g}", "passed": worst <= MAX_WORKER_RSS_MB,
    }  # fmt: skip
    return judged


def render(report: dict[str, Any]) -> str:
    lines = [
        f"mailctl serve: {report['domains']:,} domains, {report['workers']} worker(s) each, "
        f"wrk -t{report['threads']} -c{report['connections']} {report['duration']} s, "
        f"median of {report['repeat']}; python {report['python']}, nproc {report['nproc']}, "
        f"revision {report['revision']}, automx2 {report['versions']['automx2']} "
        f"(gunicorn {report['versions']['gunicorn']} gthread), {report['nginx']}",
        f"  {'':22} {'requests/s':>11} {'p99 ms':>8} {'requests':>10}",
    ]
    for kind, figures in report["load"].items():
        for name, f in figures.items():
            label = f"{'GET autoconfig' if kind == 'get' else 'POST Autodiscover'} {name}"
            lines.append(f"  {label:22} {f['rps']:11.0f} {f['p99_ms']:8.2f} {f['requests']:10}")
    if not report["mailctl_autodiscover"]:
        lines.append("  (mailctl serve does not answer POST /autodiscover/autodiscover.xml here)")
    for name, values in report["rss_mb"].items():
        lines.append(
            f"  RSS per worker after the load, {name}: "
            + ", ".join(f"{v:.1f}" for v in values)
            + " MB"
        )
    if report.get("switch"):
        s = report["switch"]
        lines.append(
            f"  snapshot switch of {s['domains']:,} domains (in-process poll): "
            f"{s['switch_s'] * 1000:.0f} ms; store.read() alone {s['read_s'] * 1000:.0f} ms "
            f"(ratio {s['ratio']:.2f})"
        )
    for name, j in report["targets"].items():
        lines.append(
            f"{'PASS' if j['passed'] else 'FAIL'} {name} = {j['value']:.2f} ({j['limit']})"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes of each server")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; medians reported")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--automx2", default="automx2==2026.2", help="pip spec of automx2")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    if min(args.domains, args.workers, args.repeat, args.connections, args.threads) < 1:
        parser.error("--domains, --workers, --repeat, --connections, --threads must be >= 1")
    for tool in (WRK, targets.NGINX):
        if not Path(tool).exists():
            sys.exit(f"bench: {tool} is missing: apt-get install nginx wrk")
    venv = targets.automx2_venv(args.automx2)
    domains = targets.generate(args.domains)
    with tempfile.TemporaryDirectory(prefix="mailctl-bench-serve-") as name:
        tmp = Path(name)
        tmp.chmod(0o755)  # nginx started as root serves as nobody: let it read the export
        url = f"sqlite:///{tmp / 'state.db'}"
        targets.apply_domains(url, tmp / "domains.yaml", domains.values())
        www = targets.export_files(url, tmp / "export")
        conf = targets.automx2_conf(tmp)
        servers: dict[str, targets.Server] = {}
        try:
            seeder = targets.start_automx2(venv, conf, PORTS["automx2"], 1, tmp / "automx2.log")
            targets.seed_automx2(seeder, conf, domains)
            seeder.stop()
            log = tmp / "servers.log"
            servers["automx2"] = targets.start_automx2(
                venv, conf, PORTS["automx2"], args.workers, log
            )
            servers["nginx"] = targets.start_nginx(www, tmp, PORTS["nginx"], args.workers, log)
            servers["mailctl"] = targets.start_mailctl(url, PORTS["mailctl"], args.workers, log)
            autodiscover = serves_autodiscover(servers["mailctl"].base)
            posters = ["mailctl", "automx2"] if autodiscover else ["automx2"]
            verify(servers, {"get": ["mailctl", "automx2", "nginx"], "post": posters}, domains)
            cases = [("get", "mailctl"), ("get", "automx2"), ("get", "nginx")]
            cases += [("post", server) for server in posters]
            runs = load(servers, cases, write_scripts(tmp, args.domains), args)
            rss = {name: worker_rss(server) for name, server in servers.items()}
            switch = measure_switch(url, tmp, domains, args.repeat)
        finally:
            for server in servers.values():
                server.stop()
    summary = summarise(runs)
    nginx = subprocess.run([targets.NGINX, "-v"], capture_output=True, text=True).stderr.strip()
    report = {
        "domains": args.domains, "workers": args.workers, "duration": args.duration,
        "repeat": args.repeat, "connections": args.connections, "threads": args.threads,
        "python": platform.python_version(), "nproc": len(os.sched_getaffinity(0)),
        "revision": revision(), "versions": targets.automx2_versions(venv),
        "nginx": nginx.removeprefix("nginx version: "), "mailctl_autodiscover": autodiscover,
        "load": summary, "rss_mb": rss, "switch": switch, "targets": judge(summary, rss),
        "runs": runs,
    }  # fmt: skip
    print(json.dumps(report, indent=2) if args.json else render(report))
    missed = [name for name, j in report["targets"].items() if not j["passed"]]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())

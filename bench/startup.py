"""Benchmark the start-up of store commands: ``mailctl show`` and ``mailctl plan --no-checks``.

Both run against a small SQLite store (the shipped ``examples/`` applied once), so
nearly all of their time is start-up: interpreter, imports, opening the store and
checking its schema revision. The floor is ``python -c "import click"`` (the interpreter
plus the CLI toolkit every command needs); ``python -c pass`` is reported for
reference. All commands run as subprocesses, interleaved (the order is rotated each
round, so drift hits every command alike); medians are compared as ratios to the floor.
A second floor is the bare store read a store command cannot avoid: import SQLAlchemy,
open the same SQLite file and read one row (``ratio_sa`` is the ratio to it).

Also reported, from one ``python -X importtime`` run of each command: how many modules
it imports (a figure the noise does not touch) and which heavy packages (a command on
a store at the current schema revision must not import Alembic).

    python3 bench/startup.py [--repeat 15] [--json] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validate import find_mailctl, revision

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WATCHED = ("alembic", "sqlalchemy", "psycopg", "cryptography", "rich", "asyncio", "mako")
MUST_NOT_IMPORT = "alembic"
MAX_RATIO_SA = 2.3  # each store command / the bare SQLAlchemy read


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_kib: int


def run_child(argv: list[str]) -> Run:
    """Run one child; its own rusage comes from wait4 (RUSAGE_CHILDREN would be a max
    over every child so far). plan exits 2 when there are changes: both count as done."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = code = os.waitstatus_to_exitcode(status)  # stop Popen waiting again
    if code not in (0, 2):
        sys.exit(f"bench: {' '.join(argv)} exited {code}")
    return Run(seconds, usage.ru_maxrss)  # KiB on Linux


SEED = """
import sys
from pathlib import Path
from reconciler.app.apply import apply_document
from reconciler.app.plan import PlanRequest, plan
from reconciler.plan.gates import OVERRIDES
from reconciler.store.open import open_store
store = open_store(sys.argv[1])
try:
    document = plan(PlanRequest(Path(sys.argv[2])), store=store).document
    apply_document(document, store, actor="bench", commit=None, lifted=set(OVERRIDES))
finally:
    store.close()
"""


def seed(url: str) -> None:
    """Apply ``examples/`` once (no live checks: nothing leaves this machine).

    In a child: this process stays small, and its children's peak RSS is their own
    (a child's ru_maxrss counts the memory it had before exec, copied from this one)."""
    subprocess.run([sys.executable, "-c", SEED, url, str(EXAMPLES)], check=True, cwd=ROOT)


SQLALCHEMY_READ = """
import sys
from sqlalchemy import create_engine, text
with create_engine(sys.argv[1]).connect() as conn:
    conn.execute(text("SELECT serial FROM state")).scalar_one()
"""


def commands(mailctl: str, url: str) -> dict[str, list[str]]:
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "floor: import click": [sys.executable, "-c", "import click"],
        "floor: sqlalchemy read": [sys.executable, "-c", SQLALCHEMY_READ, url],
        "mailctl show": [mailctl, "show", "--state", url],
        "mailctl plan --no-checks": [mailctl, "plan", str(EXAMPLES), "--no-checks", "--state", url],
    }


def imported(args: list[str]) -> tuple[int, list[str]]:
    """How many modules ``mailctl ARGS`` imports, and which of the watched packages,
    from ``-X importtime``."""
    argv = [sys.executable, "-X", "importtime", "-m", "reconciler", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    modules = [
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and not line.endswith("imported package")
    ]
    return len(modules), sorted({m.split(".")[0] for m in modules} & set(WATCHED))


def measure(argvs: dict[str, list[str]], repeat: int) -> dict[str, list[Run]]:
    names = list(argvs)
    for name in names:  # warm the page cache and .pyc files
        run_child(argvs[name])
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for i in range(repeat):
        shift = i % len(names)
        order = names[shift:] + names[:shift]
        for name in reversed(order) if i % 2 else order:
            runs[name].append(run_child(argvs[name]))
    return runs


def render(report: dict[str, Any]) -> str:
    lines = [
        f"mailctl start-up: median of {report['repeat']}, python {report['python']}, "
        f"nproc {report['nproc']}, revision {report['revision']}",
        f"{'command':28} {'median s':>9} {'ratio':>7} {'ratio_sa':>9} {'peak MB':>8} "
        f"{'modules':>8}  heavy imports",
    ]
    for name, r in report["results"].items():
        lines.append(
            f"{name:28} {r['median_s']:9.3f} {r['ratio']:7.2f} {r['ratio_sa']:9.2f} "
            f"{r['peak_rss_mb']:8.1f} {r.get('modules', ''):>8}  " + ", ".join(r.get("imports", []))
        )
    for name, ok in report["passed"].items():
        lines.append(f"{'PASS' if ok else 'FAIL'} {name}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs of each; medians reported")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    # Byte-compile the package as an installed wheel would be (see bench/validate.py).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "reconciler")], check=True)
    with tempfile.TemporaryDirectory(prefix="mailctl-bench-") as tmp:
        url = f"sqlite:///{tmp}/state.db"
        seed(url)
        argvs = commands(find_mailctl(), url)
        runs = measure(argvs, args.repeat)
        floor = statistics.median(r.seconds for r in runs["floor: import click"])
        floor_sa = statistics.median(r.seconds for r in runs["floor: sqlalchemy read"])
        results: dict[str, dict[str, Any]] = {}
        for name, argv in argvs.items():
            median = statistics.median(r.seconds for r in runs[name])
            results[name] = {
                "median_s": round(median, 4),
                "ratio": round(median / floor, 2),
                "ratio_sa": round(median / floor_sa, 2),
                "peak_rss_mb": round(max(r.max_rss_kib for r in runs[name]) * 1024 / 1e6, 1),
            }
            if name.startswith("mailctl"):
                results[name]["modules"], results[name]["imports"] = imported(argv[1:])
    store_commands = [name for name in results if name.startswith("mailctl")]
    passed = {
        f"{name} / sqlalchemy read <= {MAX_RATIO_SA:g}": results[name]["ratio_sa"] <= MAX_RATIO_SA
        for name in store_commands
    }
    passed |= {
        f"{name} does not import {MUST_NOT_IMPORT}": MUST_NOT_IMPORT not in results[name]["imports"]
        for name in store_commands
    }
    report = {
        "repeat": args.repeat,
        "python": platform.python_version(),
        "nproc": len(os.sched_getaffinity(0)),
        "revision": revision(),
        "results": results,
        "passed": passed,
    }
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 1 if args.check and not all(passed.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

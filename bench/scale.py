"""Benchmark mailctl at 100,000 domains: time and peak memory of each command, and how
each grows from 10,000 (linearity). Takes many minutes (the 100,000-domain runs
dominate: several minutes per backend on a 2-core machine); ``--repeat`` defaults to 1.

For each size (``--base``, default 10,000, and ``--domains``, default 100,000) and each
layout (one file; a folder of ``--files`` files, default 100, with ``connection_ips``
and ``defaults`` in the first), generated as bench/validate.py generates its file:

* ``mailctl validate PATH``;
* ``mailctl plan PATH --no-checks --allow-unchecked --out plan.json`` against a store
  that already holds the same domains with 1% of them changed (their IMAP port), so the
  plan reads the whole store and shows 1% updates;
* ``mailctl apply PATH --auto-approve --allow-unchecked --no-checks`` into an empty
  store: every domain a create;
* ``mailctl apply PLAN`` of a plan saved by ``plan --out`` against another empty store
  (the plan is not measured): the CI flow, every domain a create;
* ``mailctl allowlist --out DIR --format all`` and ``mailctl autoconfig export --out
  DIR`` of the applied store (each into an empty folder).

on SQLite (a temporary file) and PostgreSQL (a throwaway cluster, tests/pgcluster.py).
Each command is a child process, started by a small launcher (see ``LAUNCHER``); its time
is wall-clock from start to end and its peak memory that child's own ``ru_maxrss``
(``os.wait4`` rusage in the launcher; KiB on Linux,
reported in MB of 10^6 bytes). The store commands (plan, apply, allowlist, export) run
on the one-file layout; validate and plan also on the folder.

Targets (``--check`` exits 1 when one is missed):

* at ``--domains``: validate <= 200 MB peak, plan <= 400 MB, apply <= 400 MB;
* each command's time at ``--domains`` <= 12x its time at ``--base`` (linear; the
  limit scales with ``--domains / --base``: 1.2x the size ratio);
* allowlist and autoconfig export: time per domain at ``--domains`` no worse than at
  ``--base`` (ratio of per-domain times <= 1.0, plus 10% for noise). These two are bound
  by the file system, whose speed drifts during a run; they are measured at ``--base``
  again after ``--domains``, and their base time is the mean of the two (A-B-A).
  Nothing the commands write is removed before the end of the benchmark (about 10 GB
  on disk at 100,000 domains, both backends: 0.42 GB per 10,000 and backend).

    python3 bench/scale.py [--domains 100000] [--base 10000] [--files 100]
                           [--repeat 1] [--json] [--check] [--no-postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from validate import HEADER, PROVIDERS, _domain  # noqa: E402

from tests import pgcluster  # noqa: E402

MEMORY_MB = {"validate": 200.0, "plan": 400.0, "apply": 400.0}
LINEAR = 1.2  # time at the large size <= LINEAR x (size ratio) x time at the base size
PER_DOMAIN = 1.1  # allowlist and export: per-domain time at the large size, vs the base's
PER_DOMAIN_COMMANDS = ("allowlist", "autoconfig export")


def _lines(i: int, width: int, stored: bool) -> list[str]:
    """Domain ``i`` as bench/validate.py writes it; the stored side has every 100th
    domain on another IMAP host, so a plan shows 1% updates."""
    lines = _domain(i, width)
    if stored and i % 100 == 0:
        host = f"imap{i % PROVIDERS}.provider.example"
        lines = [line.replace(host, "imap-old.provider.example") for line in lines]
    return lines


def domains_text(
    first: int, last: int, width: int, header: bool, count: int, stored: bool = False
) -> str:
    """Domains ``first..last`` (inclusive); with the header (version, connection_ips,
    defaults) or with ``version`` and ``domains`` only."""
    body = [line for i in range(first, last + 1) for line in _lines(i, width, stored)]
    head = HEADER.format(count=count, providers=PROVIDERS) if header else "version: 1\ndomains:\n"
    return head + "\n".join(body) + "\n"


def write_inputs(folder: Path, count: int, files: int, width: int) -> dict[str, Path]:
    """One file of ``count`` domains, the same split into a folder of ``files`` files,
    and the stored side of the plan (1% of the domains on another IMAP host)."""
    one = folder / f"one-{count}.yaml"
    one.write_text(domains_text(1, count, width, True, count))
    parts = folder / f"folder-{count}"
    parts.mkdir()
    step = -(-count // files)
    for n, first in enumerate(range(1, count + 1, step)):
        last = min(count, first + step - 1)
        (parts / f"part{n:03d}.yaml").write_text(domains_text(first, last, width, n == 0, count))
    stored = folder / f"stored-{count}.yaml"
    stored.write_text(domains_text(1, count, width, True, count, stored=True))
    return {"one": one, "folder": parts, "stored": stored}


# Started from this (large) process, a child would inherit its peak RSS in its own
# ru_maxrss: Linux keeps the old address space's high-water mark across exec. So each
# command is started by a small launcher that forks it afresh and reports the command's
# own exit status and peak on the pipe it is handed.
LAUNCHER = """
import json, os, sys
report = int(sys.argv[1])
pid = os.fork()
if pid == 0:
    os.close(report)
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
os.write(report, json.dumps([os.waitstatus_to_exitcode(status), usage.ru_maxrss]).encode())
"""


def child(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak MB of one command; exits the benchmark if it fails (plan may exit
    2: changes)."""
    read_end, write_end = os.pipe()
    start = time.perf_counter()
    launcher = [sys.executable, "-c", LAUNCHER, str(write_end), *argv]
    proc = subprocess.Popen(
        launcher, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=(write_end,)
    )
    os.close(write_end)
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.wait()
    seconds = time.perf_counter() - start
    with os.fdopen(read_end, "rb") as report:
        said = report.read()
    if proc.returncode != 0 or not said:
        sys.exit(f"bench: the launcher of {' '.join(argv)} failed: {err.decode(errors='replace')}")
    code, maxrss_kib = json.loads(said)
    if code not in (0, 2):
        sys.exit(f"bench: {' '.join(argv)} exited {code}: {err.decode(errors='replace')}")
    return seconds, maxrss_kib * 1024 / 1e6


Runs = dict[str, list[tuple[float, float]]]  # command: (seconds, peak MB) of each run
ENV = {**os.environ, "NO_COLOR": "1"}


def measure_size(
    mailctl: str, inputs: dict[str, Path], url_for: Callable[[str], str], repeat: int, tmp: Path
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Every command at one size, medians of ``repeat`` runs; and the stores applied."""
    env = ENV
    runs: Runs = {}
    applied_stores: list[str] = []

    def run(name: str, argv: list[str]) -> None:
        measured(runs, name, argv)

    apply_args = ["--auto-approve", "--allow-unchecked", "--no-checks", "--actor", "bench"]
    for r in range(repeat):
        run("validate", [mailctl, "validate", str(inputs["one"])])
        run("validate (folder)", [mailctl, "validate", str(inputs["folder"])])
        seeded = url_for(f"seed{r}")
        # The store the plan reads: 1% of the domains differ from the file.
        child([mailctl, "apply", str(inputs["stored"]), "--state", seeded, *apply_args], env)
        plan = ["--no-checks", "--allow-unchecked", "--state", seeded, "--out"]
        run("plan", [mailctl, "plan", str(inputs["one"]), *plan, str(tmp / f"p{r}.json")])
        run(
            "plan (folder)",
            [mailctl, "plan", str(inputs["folder"]), *plan, str(tmp / f"pf{r}.json")],
        )
        applied = url_for(f"apply{r}")
        run("apply", [mailctl, "apply", str(inputs["one"]), "--state", applied, *apply_args])
        applied_stores.append(applied)
        # The CI flow: a plan saved against an empty store (not measured), then applied.
        saved_to, saved = url_for(f"saved{r}"), str(tmp / f"ps{r}.json")
        unchecked = ["--no-checks", "--allow-unchecked"]
        child(
            [mailctl, "plan", str(inputs["one"]), *unchecked, "--state", saved_to, "--out", saved],
            env,
        )
        run("apply PLAN", [mailctl, "apply", saved, "--state", saved_to, *apply_args])
        output_commands(mailctl, applied, tmp / f"out{r}", runs)
    return summary(runs), applied_stores


def output_commands(mailctl: str, applied: str, out: Path, runs: Runs) -> None:
    """allowlist and autoconfig export of the store at ``applied``, each into a new
    folder below ``out``; their runs added to ``runs``. The folders stay until the
    whole benchmark ends: removing hundreds of thousands of files slows the file
    system for the runs after it (an export of 10,000 domains took 6.9 s after two
    others into new folders, 23.6 s right after one of those was removed)."""
    for name, argv in (
        ("allowlist", ["allowlist", "--out", str(out / "fw"), "--format", "all"]),
        ("autoconfig export", ["autoconfig", "export", "--out", str(out / "ac")]),
    ):
        measured(runs, name, [mailctl, *argv, "--state", applied])


def measured(runs: Runs, name: str, argv: list[str]) -> None:
    """Run ``argv`` as command ``name``; its (seconds, peak MB) added to ``runs``."""
    runs.setdefault(name, []).append(child(argv, ENV))


def summary(runs: Runs) -> dict[str, dict[str, float]]:
    return {
        name: {
            "seconds": round(statistics.median(s for s, _ in found), 3),
            "peak_mb": round(max(m for _, m in found), 1),
        }
        for name, found in runs.items()
    }


def judge(small: dict[str, Any], large: dict[str, Any], base: int, count: int) -> list[str]:
    """The targets the figures miss (empty: all met)."""
    missed = []
    scale = count / base
    for name, figures in large.items():
        limit = MEMORY_MB.get(name.split(" ")[0])
        if limit is not None and figures["peak_mb"] > limit:
            missed.append(f"{name}: peak {figures['peak_mb']} MB > {limit:g} MB")
        growth = figures["seconds"] / small[name]["seconds"]
        if growth > LINEAR * scale:
            missed.append(f"{name}: {growth:.1f}x the time at {base} > {LINEAR * scale:g}x")
        if name in PER_DOMAIN_COMMANDS and growth / scale > PER_DOMAIN:
            missed.append(f"{name}: time per domain {growth / scale:.2f}x that at {base}")
    return missed


def backend_figures(
    mailctl: str,
    sizes: dict[int, dict[str, Path]],
    url_for: Callable[[str], str],
    args: Any,
    out: Path,
) -> dict[str, Any]:
    """Every figure of one backend; what the commands write goes below ``out`` (kept)."""
    found: dict[str, Any] = {}
    applied: dict[int, list[str]] = {}
    for count, inputs in sizes.items():
        (out / str(count)).mkdir(parents=True)

        def sized(name: str, count: int = count) -> str:
            return url_for(f"{name}_{count}")

        found[str(count)], applied[count] = measure_size(
            mailctl, inputs, sized, args.repeat, out / str(count)
        )
    # The output commands are bound by the file system, whose speed still drifts during
    # a run. So they run at the base size again after the large size, and the large
    # size is judged against the mean of the runs before and after it.
    again: Runs = {}
    for r, store in enumerate(applied[args.base]):
        output_commands(mailctl, store, out / f"again{r}", again)
    found["base_after"] = summary(again)
    for name, after in found["base_after"].items():
        before = found[str(args.base)][name]
        before["seconds_before"] = before["seconds"]
        before["seconds"] = round((before["seconds"] + after["seconds"]) / 2, 3)
        before["peak_mb"] = max(before["peak_mb"], after["peak_mb"])
    small, large = found[str(args.base)], found[str(args.domains)]
    found["growth"] = {
        name: round(large[name]["seconds"] / small[name]["seconds"], 2) for name in large
    }
    found["missed"] = judge(small, large, args.base, args.domains)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=100, help="files in the folder layout")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    args = parser.parse_args()
    mailctl = str(Path(sys.executable).parent / "mailctl")
    if not Path(mailctl).exists():
        mailctl = shutil.which("mailctl") or "mailctl"
    report: dict[str, Any] = {"domains": args.domains, "base": args.base, "files": args.files}
    width = max(5, len(str(args.domains)))
    with tempfile.TemporaryDirectory(prefix="mailctl-scale-") as tmp:
        sizes = {}
        for count in (args.base, args.domains):
            folder = Path(tmp) / str(count)
            folder.mkdir()
            sizes[count] = write_inputs(folder, count, args.files, width)
        db = Path(tmp) / "db"
        db.mkdir()
        # Nothing written is removed before the end (see output_commands).
        out = Path(tmp) / "out"
        report["sqlite"] = backend_figures(
            mailctl, sizes, lambda name: f"sqlite:///{db}/{name}.db", args, out / "sqlite"
        )
        if not args.no_postgresql:
            cluster = pgcluster.start()
            try:
                report["postgresql"] = backend_figures(
                    mailctl,
                    sizes,
                    lambda name: cluster.create_database(name),
                    args,
                    out / "postgresql",
                )
            finally:
                cluster.stop()
    missed = [
        f"{b}: {m}" for b in ("sqlite", "postgresql") if b in report for m in report[b]["missed"]
    ]
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"mailctl at {args.domains} domains against {args.base}, median of {args.repeat}")
        for backend in ("sqlite", "postgresql"):
            if backend not in report:
                continue
            figures = report[backend]
            small, large = figures[str(args.base)], figures[str(args.domains)]
            print(f"\n{backend}")
            print(f"{'command':<20}{'s @base':>9}{'MB @base':>10}{'s':>9}{'MB':>8}{'growth':>8}")
            for name in large:
                print(
                    f"{name:<20}{small[name]['seconds']:>9}{small[name]['peak_mb']:>10}"
                    f"{large[name]['seconds']:>9}{large[name]['peak_mb']:>8}"
                    f"{figures['growth'][name]:>8}"
                )
            for name, after in figures["base_after"].items():
                print(
                    f"  {name} @base: {small[name]['seconds_before']} s before, "
                    f"{after['seconds']} s after; s @base is their mean"
                )
        print()
        print("\n".join(f"MISSED {m}" for m in missed) or "PASS every target")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())

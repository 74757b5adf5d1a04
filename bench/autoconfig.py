"""Benchmark `mailctl import autoconfig` on the ISPDB corpus and `mailctl autoconfig export`
of 10,000 domains, each against a floor measured in the same run. See bench/README.md.

    python3 bench/autoconfig.py [--domains 10000] [--repeat 5] [--json] [--check]
                                [--compare-write-atomic]
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
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from validate import find_mailctl, interleave, revision, time_call

from reconciler.autoconfig import ispdb, merge, writer
from reconciler.desired.model import Domain, Endpoint, Security
from reconciler.output.atomic import write_atomic

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus" / "ispdb"
PROVIDERS = 50
# Targets (medians, ratios against the floor of the same run).
MAX_IMPORT_RATIO = 6.0  # read + map + YAML text / bare ElementTree parse
MAX_EXPORT_RATIO = 3.0  # first export (render + atomic, durable writes) / plain writes
MAX_REEXPORT_RATIO = 1.5  # export with nothing changed / plain writes
FLOOR_IMPORT_CODE = (
    "import sys, glob, xml.etree.ElementTree as ET\n"
    "[ET.parse(f) for f in sorted(glob.glob(sys.argv[1] + '/*.xml'))]"
)


def run_child(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} exited {done.returncode}:\n{done.stderr.decode()}")
    return seconds


# --- import --------------------------------------------------------------------------


def measure_import(repeat: int) -> dict[str, float]:
    files = sorted(CORPUS.glob("*.xml"))

    def floor() -> object:
        return [ET.parse(f) for f in files]

    def read() -> object:
        return ispdb.read_sources([CORPUS])

    def whole() -> object:
        return merge.render_new(ispdb.read_sources([CORPUS]).entries)

    floor(), whole()  # warm-up: page cache, first-call costs
    floors, reads = interleave(lambda: time_call(floor), lambda: time_call(read), repeat)
    floors2, wholes = interleave(lambda: time_call(floor), lambda: time_call(whole), repeat)
    mailctl = find_mailctl()
    sub_floor_argv = [sys.executable, "-c", FLOOR_IMPORT_CODE, str(CORPUS)]
    sub_argv = [mailctl, "import", "autoconfig", str(CORPUS)]
    run_child(sub_argv)
    sub_floors, subs = interleave(
        lambda: run_child(sub_floor_argv), lambda: run_child(sub_argv), repeat
    )
    floor_s = statistics.median(floors + floors2)
    return {
        "files": len(files),
        "floor_s": floor_s,
        "read_s": statistics.median(reads),
        "read_ratio": statistics.median(reads) / floor_s,
        "import_s": statistics.median(wholes),
        "import_ratio": statistics.median(wholes) / floor_s,
        "subprocess_floor_s": statistics.median(sub_floors),
        "subprocess_s": statistics.median(subs),
        "subprocess_ratio": statistics.median(subs) / statistics.median(sub_floors),
    }


# --- export --------------------------------------------------------------------------

SECURITIES: tuple[tuple[Security, int, Security, int], ...] = (
    ("ssl", 993, "ssl", 465),
    ("ssl", 993, "starttls", 587),
    ("starttls", 143, "starttls", 587),
    ("none", 143, "none", 587),
)


def generate(
    count: int, securities: tuple[tuple[Security, int, Security, int], ...] = SECURITIES
) -> dict[str, Domain]:
    """Domains on 50 shared providers, taking the ``securities`` combinations in turn
    (by default every one)."""
    domains = {}
    for i in range(count):
        name = f"d{i:06d}.example.com"
        imap_sec, imap_port, smtp_sec, smtp_port = securities[i % len(securities)]
        domains[name] = Domain(
            name=name,
            imap=Endpoint(host=f"imap{i % PROVIDERS}.provider.example", port=imap_port,
                          security=imap_sec),
            smtp=Endpoint(host=f"smtp{i % PROVIDERS}.provider.example", port=smtp_port,
                          security=smtp_sec),
        )  # fmt: skip
    return domains


def plain_write(out: Path, files: Mapping[str, bytes]) -> None:
    """The floor: the same files, the same bytes, plain open().write(), no atomicity."""
    for relative, data in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:  # noqa: PTH123 - the plain way is the point
            handle.write(data)


def measure_export(count: int, repeat: int, tmp: Path, compare: bool) -> dict[str, float]:
    """Per round: the floor into a fresh folder, a first export into another, then the
    same export again into that folder (nothing changed). Rounds alternate whether the
    floor or the export goes first. Folders are deleted only after all rounds: deleting
    30,000 files is slow here (the disk is mounted with online discard) and would load
    the next timed run."""
    domains = generate(count)
    files = writer.layout(domains.values())
    total_bytes = sum(len(d) for d in files.values())
    folders = iter(tmp / f"out{i}" for i in range(10**9))
    floors, firsts, agains = [], [], []
    for i in range(repeat):
        floor_out, export_out = next(folders), next(folders)
        floor = partial(plain_write, floor_out, files)
        export = partial(writer.export_domains, export_out, domains)
        if i % 2:
            firsts.append(time_call(export))
            floors.append(time_call(floor))
        else:
            floors.append(time_call(floor))
            firsts.append(time_call(export))
        before = {p: p.stat().st_mtime_ns for p in export_out.rglob("*") if p.is_file()}
        agains.append(time_call(export))
        after = {p: p.stat().st_mtime_ns for p in export_out.rglob("*") if p.is_file()}
        if before != after:
            sys.exit("bench: an export with nothing changed rewrote files")
    render = statistics.median(
        time_call(lambda: writer.layout(domains.values())) for _ in range(repeat)
    )
    f, first, again = (statistics.median(x) for x in (floors, firsts, agains))
    results = {
        "domains": count,
        "files": len(files),
        "bytes": total_bytes,
        "render_s": render,
        "floor_s": f,
        "export_s": first,
        "export_ratio": first / f,
        "export_ms_per_domain": first / count * 1000,
        "reexport_s": again,
        "reexport_ratio": again / f,
    }
    if compare:
        # One fsync per file, as reconciler.output.atomic.write_atomic does; measured once.
        def per_file(out: Path) -> None:
            for relative, data in files.items():
                write_atomic(out / relative, data)

        results["write_atomic_each_s"] = time_call(partial(per_file, next(folders)))
    return results


def render(report: dict[str, Any]) -> str:
    i, e = report["import"], report["export"]
    lines = [
        f"mailctl autoconfig: median of {report['repeat']}, python {report['python']}, "
        f"nproc {report['nproc']}, revision {report['revision']}",
        f"import of the ISPDB corpus ({i['files']} files):",
        f"  {'':34} {'floor s':>9} {'subject s':>10} {'ratio':>7}",
        f"  {'read + map (ispdb.read_sources)':34} {i['floor_s']:9.4f} {i['read_s']:10.4f} "
        f"{i['read_ratio']:7.2f}",
        f"  {'import (+ YAML text)':34} {i['floor_s']:9.4f} {i['import_s']:10.4f} "
        f"{i['import_ratio']:7.2f}",
        f"  {'subprocess mailctl import':34} {i['subprocess_floor_s']:9.4f} "
        f"{i['subprocess_s']:10.4f} {i['subprocess_ratio']:7.2f}",
        f"export of {e['domains']:,} domains ({e['files']:,} files, {e['bytes'] / 1e6:.1f} MB; "
        f"rendering alone {e['render_s']:.3f} s):",
        f"  {'first export (empty folder)':34} {e['floor_s']:9.3f} {e['export_s']:10.3f} "
        f"{e['export_ratio']:7.2f}   {e['export_ms_per_domain']:.3f} ms/domain",
        f"  {'again, nothing changed':34} {e['floor_s']:9.3f} {e['reexport_s']:10.3f} "
        f"{e['reexport_ratio']:7.2f}",
    ]
    if "write_atomic_each_s" in e:
        lines.append(
            "  for comparison, write_atomic per file (fsync each): "
            f"{e['write_atomic_each_s']:.3f} s"
        )
    for name, ok in report["passed"].items():
        lines.append(f"{'PASS' if ok else 'FAIL'} {name} <= {report['targets'][name]:g}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000, help="domains to export")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; medians reported")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--compare-write-atomic",
        action="store_true",
        help="also time one export through write_atomic per file (fsync each)",
    )
    args = parser.parse_args()
    if args.domains < 1 or args.repeat < 1:
        parser.error("--domains and --repeat must be at least 1")
    if not CORPUS.is_dir():
        sys.exit(f"bench: the ISPDB corpus is missing: {CORPUS}")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "reconciler")], check=True)

    imported = measure_import(args.repeat)
    with tempfile.TemporaryDirectory(prefix="mailctl-bench-") as tmp:
        exported = measure_export(args.domains, args.repeat, Path(tmp), args.compare_write_atomic)
    results = {"import_ratio": imported["import_ratio"], **exported}
    targets = {
        "import_ratio": MAX_IMPORT_RATIO,
        "export_ratio": MAX_EXPORT_RATIO,
        "reexport_ratio": MAX_REEXPORT_RATIO,
    }
    passed = {name: results[name] <= limit for name, limit in targets.items()}
    report = {
        "repeat": args.repeat,
        "python": platform.python_version(),
        "nproc": len(os.sched_getaffinity(0)),
        "revision": revision(),
        "import": imported,
        "export": exported,
        "targets": targets,
        "passed": passed,
    }
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 1 if args.check and not all(passed.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

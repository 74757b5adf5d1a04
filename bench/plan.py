"""Benchmark ``mailctl plan`` of 10,000 desired against 10,000 stored domains, 1% changed.

The floor is PyYAML's C loader merely reading the same file
(``yaml.load(text, Loader=yaml.CSafeLoader)``). The subject is everything ``mailctl plan
--no-checks --out`` does: load and validate the file, read the store and the last
apply's snapshot (drift), count inboxes, diff, evaluate gates, seal the document, render
it as text and serialise it as JSON. Both run in this process, interleaved (alternating
which goes first), each after a ``gc.collect()``; medians are compared. The plan's time
is also split into its parts, each timed alone the same way: the load, the store read
(rows, snapshot, inbox counts), the diff (``assemble``), gates and sealing, rendering.
Also reported: the same pair as subprocesses (``mailctl plan --out`` against ``python3
-c`` doing the C load), which adds interpreter start-up and imports.

Both backends: SQLite in a temporary directory, PostgreSQL in a throwaway cluster
(tests/pgcluster.py).

    python3 bench/plan.py [--domains 10000] [--changed 0.01] [--repeat 5] [--json] [--check]
"""

from __future__ import annotations

import argparse
import gc
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

import yaml  # noqa: E402
from validate import generate  # noqa: E402

from reconciler.app.apply import apply_document  # noqa: E402
from reconciler.app.plan import PlanRequest, with_evidence  # noqa: E402
from reconciler.app.plan import plan as make_plan  # noqa: E402
from reconciler.desired.loader import load  # noqa: E402
from reconciler.desired.state import StoredState  # noqa: E402
from reconciler.desired.to_yaml import to_yaml  # noqa: E402
from reconciler.plan.builder import assemble  # noqa: E402
from reconciler.plan.decisions import Decisions  # noqa: E402
from reconciler.plan.document import Source  # noqa: E402
from reconciler.plan.flatstate import rows_of  # noqa: E402
from reconciler.plan.gates import OVERRIDES  # noqa: E402
from reconciler.render import plan_text  # noqa: E402
from reconciler.store.open import open_store  # noqa: E402
from tests import pgcluster  # noqa: E402

MAX_RATIO = 1.0
C_LOAD = "import yaml,sys; yaml.load(open(sys.argv[1]).read(), Loader=yaml.CSafeLoader)"


def changed_copy(path: Path, share: float, out: Path) -> int:
    """Write ``out``: the desired state of ``path`` with ``share`` of its domains' IMAP
    port changed. Returns how many changed."""
    desired = load(path).desired
    names = sorted(desired.domains)
    step = max(1, round(1 / share))
    domains = dict(desired.domains)
    for name in names[::step]:
        domain = domains[name]
        domains[name] = domain.model_copy(
            update={"imap": domain.imap.model_copy(update={"port": domain.imap.port + 1000})}
        )
    out.write_text(
        to_yaml(StoredState(connection_ranges=desired.connection_ranges, domains=domains))
    )
    return len(names[::step])


def timed(call: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def seed(url: str, path: Path) -> None:
    store = open_store(url)
    try:
        document = make_plan(PlanRequest(path), store=store).document
        apply_document(document, store, actor="bench", commit=None, lifted=set(OVERRIDES))
    finally:
        store.close()


def c_load(path: Path) -> object:
    return yaml.load(path.read_text(), Loader=yaml.CSafeLoader)


def parts(path: Path, store: Any) -> dict[str, Callable[[], object]]:
    """Each part of a plan, to be timed alone (its inputs made beforehand)."""
    loaded = load(path)
    known = rows_of(loaded.desired.domains)
    stored = store.read_flat(known)
    last = store.last_applied_flat(stored.rows)
    counts = store.inbox_counts()

    def assembled() -> Any:
        return assemble(
            target=loaded.desired,
            stored=stored,
            source=Source(kind="desired", path=str(path), files=loaded.files, checksum=""),
            mailctl_version="bench",
            last_applied=last,
            inbox_counts=counts,
            places=loaded.places,
            target_rows=known,
        )

    document = assembled()
    sealed = with_evidence(document, Decisions(), None, None, None)
    return {
        "load": lambda: load(path),
        "store_read": lambda: (
            store.read_flat(rows_of(loaded.desired.domains)),
            store.last_applied_flat(stored.rows),
            store.inbox_counts(),
        ),
        "diff": assembled,
        "gates_seal": lambda: with_evidence(document, Decisions(), None, None, None),
        "render": lambda: (plan_text.render(sealed, colour=False), sealed.to_json()),
    }


def measure(url: str, path: Path, repeat: int, mailctl: str) -> dict[str, Any]:
    store = open_store(url)

    def subject() -> None:
        document = make_plan(PlanRequest(path), store=store).document
        plan_text.render(document, colour=False)
        document.to_json()

    floors, subjects = [], []
    split: dict[str, list[float]] = {}
    try:
        subject()  # warm caches of both, as a second run of the command would have them
        for i in range(repeat):
            pair = [(floors, lambda: c_load(path)), (subjects, subject)]
            for bucket, call in pair if i % 2 == 0 else reversed(pair):
                bucket.append(timed(call))
        for name, call in parts(path, store).items():
            split[name] = [timed(call) for _ in range(repeat)]
        document = make_plan(PlanRequest(path), store=store).document
    finally:
        store.close()
    env = {**os.environ, "NO_COLOR": "1"}
    sub_floor, sub_subject = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(max(1, repeat // 2)):
            sub_floor.append(_run([sys.executable, "-c", C_LOAD, str(path)], env))
            sub_subject.append(
                _run(
                    [
                        mailctl,
                        "plan",
                        str(path),
                        "--no-checks",
                        "--allow-unchecked",
                        "--state",
                        url,
                        "--out",
                        f"{tmp}/p.json",
                    ],
                    env,
                )
            )
    floor, plan = statistics.median(floors), statistics.median(subjects)
    return {
        "changes": document.summary.update,
        "stored": document.summary.stored,
        "c_load_s": round(floor, 3),
        "plan_s": round(plan, 3),
        "ratio": round(plan / floor, 2),
        "split_s": {name: round(statistics.median(times), 3) for name, times in split.items()},
        "subprocess_c_load_s": round(statistics.median(sub_floor), 3),
        "subprocess_plan_s": round(statistics.median(sub_subject), 3),
        "subprocess_ratio": round(statistics.median(sub_subject) / statistics.median(sub_floor), 2),
    }


def _run(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 2):
        raise SystemExit(f"{argv[1]} failed ({result.returncode}): {result.stderr}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01, help="share of domains changed")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    mailctl = str(Path(sys.executable).parent / "mailctl")
    if not Path(mailctl).exists():
        mailctl = shutil.which("mailctl") or "mailctl"
    report: dict[str, Any] = {"domains": args.domains, "repeat": args.repeat}
    with tempfile.TemporaryDirectory(prefix="mailctl-bench-") as tmp:
        base, changed = Path(tmp) / "base.yaml", Path(tmp) / "changed.yaml"
        base.write_text(generate(args.domains))
        changed_copy(base, args.changed, changed)
        sqlite_url = f"sqlite:///{tmp}/state.db"
        seed(sqlite_url, base)
        report["sqlite"] = measure(sqlite_url, changed, args.repeat, mailctl)
        cluster = pgcluster.start()
        try:
            pg_url = cluster.create_database("bench")
            seed(pg_url, base)
            report["postgresql"] = measure(pg_url, changed, args.repeat, mailctl)
        finally:
            cluster.stop()
    missed = [b for b in ("sqlite", "postgresql") if report[b]["ratio"] > MAX_RATIO]
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"mailctl plan: {args.domains} desired vs {args.domains} stored, "
            f"{args.changed:.0%} changed, median of {args.repeat}"
        )
        print(
            f"{'backend':<12}{'C load s':>9}{'plan s':>9}{'ratio':>7}"
            f"{'C load s':>12}{'plan s':>9}{'ratio':>7}  (subprocess)"
        )
        for name in ("sqlite", "postgresql"):
            r = report[name]
            print(
                f"{name:<12}{r['c_load_s']:>9}{r['plan_s']:>9}{r['ratio']:>7}"
                f"{r['subprocess_c_load_s']:>12}{r['subprocess_plan_s']:>9}"
                f"{r['subprocess_ratio']:>7}"
            )
        for name in ("sqlite", "postgresql"):
            shown = ", ".join(f"{k} {v}" for k, v in report[name]["split_s"].items())
            print(f"{name} split (s): {shown}")
        print(("MISSED" if missed else "PASS") + f" in-process ratio <= {MAX_RATIO}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())

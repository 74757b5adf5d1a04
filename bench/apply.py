"""Benchmark ``store.apply`` of 10,000 creates against a bare bulk insert of the same rows.

The floor is what the same driver needs for the rows alone: SQLAlchemy Core
``conn.execute(domains.insert(), rows)`` into an empty table, in one transaction, with
the rows already built. The subject is one ``store.apply`` of 10,000 creates into a
store that does not exist yet, so it includes everything the first apply of an adopted
account does: creating the schema (tables and version stamp), the lineage, the stale
checks, turning domains into rows, the compressed history snapshot and the history
entry. Floor and subject runs are interleaved (alternating which goes first), each
starts after a ``gc.collect()``, and medians are compared. Both backends run: SQLite
in a temporary directory, PostgreSQL in a throwaway cluster (tests/pgcluster.py).

Peak memory is ru_maxrss of a separate process that builds the request and applies it.

    python3 bench/apply.py [--domains 10000] [--repeat 9] [--json] [--check]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ holds the cluster and request helpers

from sqlalchemy import create_engine  # noqa: E402

from reconciler.desired.state import StoredState  # noqa: E402
from reconciler.plan.flatstate import row_of  # noqa: E402
from reconciler.store import rows  # noqa: E402
from reconciler.store.open import open_store  # noqa: E402
from reconciler.store.tables import domains as domains_table  # noqa: E402
from reconciler.store.tables import metadata  # noqa: E402
from tests import pgcluster  # noqa: E402
from tests.store.requests import numbered, request  # noqa: E402

MAX_RATIO = 1.3
MAX_RSS_MB = 300.0  # decimal megabytes


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def bare_insert(url: str, table_rows: list[dict[str, Any]]) -> float:
    """Seconds to connect and insert ``table_rows`` into an empty domains table.

    Like ``store.apply``, the timing includes creating the engine and connecting.
    """
    setup = create_engine(_sqlalchemy_url(url))
    with setup.begin() as conn:
        metadata.create_all(conn, tables=[domains_table])
    setup.dispose()
    gc.collect()
    start = time.perf_counter()
    engine = create_engine(_sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(domains_table.insert(), table_rows)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def store_apply(url: str, count: int) -> float:
    """Seconds for one ``store.apply`` of ``count`` creates into a store that is new."""
    store = open_store(url)
    try:
        req = request(StoredState(), numbered(count), ["192.0.2.0/28"])
        gc.collect()  # the collector's debt from building the request is not the apply's
        start = time.perf_counter()
        store.apply(req)
        return time.perf_counter() - start
    finally:
        store.close()


def child_peak_rss(url: str, count: int) -> float:
    """ru_maxrss (MB) of a fresh process that builds the request and applies it."""
    code = (
        "import resource, sys; sys.path.insert(0, sys.argv[3]);"
        "from bench.apply import store_apply; store_apply(sys.argv[1], int(sys.argv[2]));"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url, str(count), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return int(out.split()[-1]) * 1024 / 1e6  # ru_maxrss is in KiB on Linux


def measure(name: str, new_url: Callable[[], str], count: int, repeat: int) -> dict[str, Any]:
    table_rows = [rows.domain_row(d.name, row_of(d)) for d in numbered(count)]
    floors: list[float] = []
    subjects: list[float] = []
    for round_ in range(repeat):
        # Interleaved, and which goes first alternates, so drift hits both sides alike.
        runs = [
            lambda: floors.append(bare_insert(new_url(), table_rows)),
            lambda: subjects.append(store_apply(new_url(), count)),
        ]
        for run in runs if round_ % 2 == 0 else reversed(runs):
            run()
    floor, subject = statistics.median(floors), statistics.median(subjects)
    return {
        "backend": name,
        "domains": count,
        "bare_insert_s": round(floor, 4),
        "apply_s": round(subject, 4),
        "ratio": round(subject / floor, 2),
        # Noise only ever adds time; the ratio of the fastest runs shows the quiet case.
        "ratio_of_fastest": round(min(subjects) / min(floors), 2),
        "peak_rss_mb": round(child_peak_rss(new_url(), count), 1),
    }


@contextmanager
def sqlite_urls() -> Iterator[Callable[[], str]]:
    with tempfile.TemporaryDirectory(prefix="mailctl-bench-") as tmp:
        counter = iter(range(10**6))

        def new_url() -> str:
            place = Path(tmp) / str(next(counter))
            place.mkdir()
            return f"sqlite:///{place}/state.db"

        yield new_url


@contextmanager
def postgres_urls() -> Iterator[Callable[[], str]]:
    cluster = pgcluster.start()
    try:
        yield lambda: cluster.create_database("bench")
    finally:
        cluster.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()

    results = []
    for name, urls in (("sqlite", sqlite_urls), ("postgresql", postgres_urls)):
        with urls() as new_url:
            results.append(measure(name, new_url, args.domains, args.repeat))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(
            f"{'backend':<11} {'bare insert':>12} {'apply':>9} {'ratio':>6} "
            f"{'fastest':>8} {'peak RSS':>9}"
        )
        for r in results:
            print(
                f"{r['backend']:<11} {r['bare_insert_s'] * 1000:>10.0f}ms "
                f"{r['apply_s'] * 1000:>7.0f}ms {r['ratio']:>6.2f} "
                f"{r['ratio_of_fastest']:>8.2f} {r['peak_rss_mb']:>7.1f}MB"
            )
        print("(medians; 'fastest' is the ratio of the fastest apply to the fastest insert)")
        print(f"targets: ratio <= {MAX_RATIO}, peak RSS <= {MAX_RSS_MB:g} MB")
    missed = [r for r in results if r["ratio"] > MAX_RATIO or r["peak_rss_mb"] > MAX_RSS_MB]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())

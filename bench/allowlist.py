"""Benchmark the allowlist files against the bare work they cannot avoid.

1. **A big feed.** Every prefix of the AWS feed in the corpus (about 17,000) as the
   connection IPs of one static-IP domain. The floor: parse the prefix strings with
   ``ipaddress.ip_network``, ``ipaddress.collapse_addresses`` them (IPv4 and IPv6
   apart) and write one line per collapsed prefix to one file, once. The subject: the
   same strings through ``rules.build`` and the combined allowlist (``all.*``) in all six
   formats, each written atomically like ``mailctl allowlist`` does. Also reported, not
   judged: the whole ``writer.write`` (the domain's own files too, the manifest, the
   unchanged-file check) and a second ``writer.write`` with nothing to change.
2. **Many domains.** 1,000 static-IP domains sharing 20 connection ranges (the ranges
   belong to the service, so every domain allowlists the same ones): how often the
   ranges are parsed and collapsed in one run (counted by wrapping
   ``ipaddress.ip_network`` and ``ipaddress.collapse_addresses``), and the time per
   domain of a first ``writer.write`` in all six formats and of a second one with
   nothing to change.

Floor and subject runs alternate (which goes first alternates too), each after a
``gc.collect()``, into fresh temporary folders; medians are compared.

    python3 bench/allowlist.py [--repeat 7] [--feed PATH] [--json] [--check]
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reconciler.allowlist import rules, writer  # noqa: E402
from reconciler.allowlist.feeds import read_feed  # noqa: E402
from reconciler.allowlist.formats import FORMATS  # noqa: E402
from reconciler.desired.model import Domain, Endpoint  # noqa: E402
from reconciler.output.atomic import write_atomic  # noqa: E402

MAX_RATIO = 3.0
FEED = ROOT / "tests" / "data" / "corpus" / "ipranges" / "aws" / "ip-ranges.json"
ORIGIN = rules.Origin("stored", "0123456789abcdef0123456789abcdef", 7)


def domain(name: str) -> Domain:
    return Domain(
        name=name,
        imap=Endpoint(host=f"imap.{name}", port=993, security="ssl"),
        smtp=Endpoint(host=f"smtp.{name}", port=587, security="starttls"),
        use_static_ip_addresses=True,
    )


@contextmanager
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mailctl-bench-") as tmp:
        yield Path(tmp)


def timed(action: Callable[[Path], Any]) -> float:
    with folder() as out:
        gc.collect()
        start = time.perf_counter()
        action(out)
        return time.perf_counter() - start


def floor(prefixes: list[str]) -> Callable[[Path], None]:
    def run(out: Path) -> None:
        networks = [ipaddress.ip_network(p) for p in prefixes]
        v4 = [n for n in networks if n.version == 4]
        v6 = [n for n in networks if n.version == 6]
        lines = [str(n) for n in ipaddress.collapse_addresses(v4)]
        lines += [str(n) for n in ipaddress.collapse_addresses(v6)]
        with (out / "floor.txt").open("w") as handle:
            handle.write("\n".join(lines) + "\n")

    return run


def combined(prefixes: list[str]) -> Callable[[Path], None]:
    def run(out: Path) -> None:
        allowlist = rules.build(prefixes, [domain("example.com")], ORIGIN)
        for fmt in FORMATS.values():
            for name, data in fmt.render(allowlist, writer.COMBINED):
                write_atomic(out / name, data)

    return run


def full_write(prefixes: list[str], domains: list[Domain]) -> Callable[[Path], None]:
    def run(out: Path) -> None:
        allowlist = rules.build(prefixes, domains, ORIGIN)
        writer.write(out, allowlist, tuple(FORMATS.values()))

    return run


def second_write(prefixes: list[str], domains: list[Domain]) -> Callable[[Path], None]:
    """Times a write that finds every file up to date (the first write is not timed)."""

    def run(out: Path) -> None:
        writer.write(out, rules.build(prefixes, domains, ORIGIN), tuple(FORMATS.values()))

    return run


def timed_second(prefixes: list[str], domains: list[Domain]) -> float:
    with folder() as out:
        full_write(prefixes, domains)(out)
        gc.collect()
        start = time.perf_counter()
        second_write(prefixes, domains)(out)
        return time.perf_counter() - start


def medians(runs: dict[str, Callable[[], float]], repeat: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in runs}
    order = list(runs)
    for round_ in range(repeat):
        for name in order if round_ % 2 == 0 else reversed(order):
            samples[name].append(runs[name]())
    return {name: statistics.median(values) for name, values in samples.items()}


def count_parsing(prefixes: list[str], domains: list[Domain]) -> dict[str, int]:
    """Calls of ip_network and collapse_addresses during one full write."""
    counts = {"ip_network": 0, "collapse_addresses": 0}
    real_parse, real_collapse = ipaddress.ip_network, ipaddress.collapse_addresses

    def parse(*args: Any, **kwargs: Any) -> Any:
        counts["ip_network"] += 1
        return real_parse(*args, **kwargs)

    def collapse(*args: Any, **kwargs: Any) -> Any:
        counts["collapse_addresses"] += 1
        return real_collapse(*args, **kwargs)

    ipaddress.ip_network, ipaddress.collapse_addresses = parse, collapse  # type: ignore[assignment]
    try:
        with folder() as out:
            full_write(prefixes, domains)(out)
    finally:
        ipaddress.ip_network, ipaddress.collapse_addresses = real_parse, real_collapse
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--feed", type=Path, default=FEED)
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {MAX_RATIO}x")
    args = parser.parse_args()

    start = time.perf_counter()
    prefixes = list(read_feed("aws", args.feed.read_bytes(), {}))
    feed_seconds = time.perf_counter() - start
    one = [domain("example.com")]
    big = medians(
        {
            "floor": lambda: timed(floor(prefixes)),
            "combined": lambda: timed(combined(prefixes)),
            "full": lambda: timed(full_write(prefixes, one)),
            "second": lambda: timed_second(prefixes, one),
        },
        args.repeat,
    )
    collapsed = len(rules.collapse(prefixes))

    ranges = [f"198.18.{i * 8}.0/29" for i in range(10)] + [
        f"2001:db8:{i:x}::/48" for i in range(10)
    ]
    many = [domain(f"d{i:04}.example.com") for i in range(args.domains)]
    counts = count_parsing(ranges, many)
    per_domain = medians(
        {
            "first": lambda: timed(full_write(ranges, many)),
            "second": lambda: timed_second(ranges, many),
        },
        max(3, args.repeat // 2),
    )

    ratio = big["combined"] / big["floor"]
    figures = {
        "feed": str(args.feed),
        "prefixes": len(prefixes),
        "collapsed": collapsed,
        "feed_read_s": feed_seconds,
        "floor_s": big["floor"],
        "combined_six_formats_s": big["combined"],
        "ratio": ratio,
        "full_write_s": big["full"],
        "full_write_ratio": big["full"] / big["floor"],
        "unchanged_write_s": big["second"],
        "domains": args.domains,
        "ranges": len(ranges),
        "ip_network_calls": counts["ip_network"],
        "collapse_calls": counts["collapse_addresses"],
        "first_write_s": per_domain["first"],
        "first_write_ms_per_domain": per_domain["first"] * 1000 / args.domains,
        "unchanged_write_ms_per_domain": per_domain["second"] * 1000 / args.domains,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"feed {args.feed}: {len(prefixes):,} prefixes, {collapsed:,} collapsed")
        print(f"  read and parse the feed (not judged):     {feed_seconds:8.3f} s")
        print(f"  floor: parse + collapse + write once:      {big['floor']:8.3f} s")
        print(
            f"  combined allowlist, six formats:           {big['combined']:8.3f} s"
            f"  ratio {ratio:.2f} (<= {MAX_RATIO})"
        )
        print(
            f"  writer.write (domain + combined, six):     {big['full']:8.3f} s"
            f"  ratio {big['full'] / big['floor']:.2f} (not judged)"
        )
        print(f"  writer.write again, nothing to change:     {big['second']:8.3f} s")
        print(f"{args.domains:,} domains sharing {len(ranges)} ranges:")
        print(
            f"  ip_network calls {counts['ip_network']:,} "
            f"(ranges: {len(ranges)}), collapse_addresses calls {counts['collapse_addresses']} "
            "(IPv4 and IPv6: 2)"
        )
        print(
            f"  first write, six formats:  {per_domain['first']:.3f} s = "
            f"{figures['first_write_ms_per_domain']:.2f} ms per domain"
        )
        print(
            f"  unchanged write:           {per_domain['second']:.3f} s = "
            f"{figures['unchanged_write_ms_per_domain']:.2f} ms per domain"
        )
    if args.check and (ratio > MAX_RATIO or counts["collapse_addresses"] > 2):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

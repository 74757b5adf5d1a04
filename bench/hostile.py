"""Peak memory and time to fail of one live check against each hostile server.

The servers are the test suite's (``tests/checks/hostile.py``): scripted attackers on
loopback, each connection capped at 64 MiB sent and 10 s. For every server this runs
one check in this process (tracemalloc peak, wall time, verdict and failed step), then
the same check in a fresh child process through ``check_all`` as ``mailctl check`` runs
it, and reports how much that child's peak RSS (``VmHWM``) grew during the check
(``ru_maxrss`` is useless here: Linux carries the parent's peak across ``exec``).

These are bounds, not speeds: a check of a hostile server must fail at its step, within
its step timeout, in a few MB. ``--check`` exits 1 when one does not.

    python3 bench/hostile.py [--json] [--check]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reconciler.plan.evidence import CheckTarget  # noqa: E402
from tests.checks import hostile, servers  # noqa: E402
from tests.checks.harness import run_check  # noqa: E402
from tests.checks.pki import make_pki  # noqa: E402

STEP, DEADLINE = 2.0, 8.0
MOST_MB = 4.0  # per check, traced and grown; the tests assert the same bound
ENV = {"MAIL_LOGIN_USER": "alice", "MAIL_LOGIN_PASSWORD": "Sesame-0pen-Secret"}
CREDENTIALS = {"username_env": "MAIL_LOGIN_USER", "password_env": "MAIL_LOGIN_PASSWORD"}

CHILD = r"""
import json, sys, time
sys.path[:0] = [sys.argv[1]]
from reconciler.checks.runner import check_all
from reconciler.net.resolver import static_resolver
from reconciler.plan.evidence import CheckTarget
target = CheckTarget.model_validate_json(sys.argv[2])
def peak_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0
base = peak_kib()
[result] = check_all([target], allow_private=True, env=json.loads(sys.argv[3]),
    resolver=static_resolver({target.host: ["127.0.0.1"]}), ca_file=sys.argv[4],
    step_timeout=2.0, deadline=8.0)
print(json.dumps(peak_kib() - base))
"""


def cases(context: object) -> list[tuple[str, object, object, str, str]]:
    return [
        ("imap huge literal", hostile.imap_huge_literal, None, "imap", "none"),
        ("imap endless line", hostile.imap_endless_line, None, "imap", "none"),
        ("imap untagged flood", hostile.imap_untagged_flood, None, "imap", "none"),
        ("imap many literals", hostile.imap_many_literals, None, "imap", "none"),
        ("smtp 220- banner flood", hostile.smtp_banner_flood, None, "smtp", "starttls"),
        ("smtp 250- EHLO flood", hostile.smtp_ehlo_flood, None, "smtp", "none"),
        ("smtp endless line", hostile.smtp_endless_line, None, "smtp", "none"),
        (
            "imap STARTTLS injection",
            hostile.imap_starttls_injection(context),
            None,
            "imap",
            "starttls",
        ),
        (
            "smtp STARTTLS injection",
            hostile.smtp_starttls_injection(context),
            None,
            "smtp",
            "starttls",
        ),
        (
            "imap password echo",
            hostile.imap_echo(ENV["MAIL_LOGIN_PASSWORD"]),
            context,
            "imap",
            "ssl",
        ),
        (
            "smtp password echo",
            hostile.smtp_echo(ENV["MAIL_LOGIN_PASSWORD"]),
            context,
            "smtp",
            "ssl",
        ),
        ("imap controls + token", hostile.imap_controls, None, "imap", "none"),
        ("smtp controls + token", hostile.smtp_controls, None, "smtp", "starttls"),
    ]


def measure(folder: Path) -> list[dict[str, object]]:
    pki = make_pki(folder)
    context = servers.server_context(pki.good)
    rows = []
    for name, script, tls, protocol, security in cases(context):
        host = f"{protocol}.test.example"
        with hostile.hostile_server(script, implicit_tls=tls) as server:
            target = CheckTarget(
                protocol=protocol,
                host=host,
                port=server.port,
                security=security,
                **CREDENTIALS,
            )
            tracemalloc.start()
            started = time.monotonic()
            result = run_check(target, pki, env=ENV, step_timeout=STEP, deadline=DEADLINE)
            took = time.monotonic() - started
            traced = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        with hostile.hostile_server(script, implicit_tls=tls) as server:
            again = target.model_copy(update={"port": server.port})
            child = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    str(ROOT),
                    again.model_dump_json(),
                    json.dumps(ENV),
                    str(pki.ca_file),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            lines = child.stdout.strip().splitlines()
            grown_kib = json.loads(lines[-1]) if lines else None
        rows.append(
            {
                "server": name,
                "verdict": result.verdict,
                "step": result.failed_step,
                "traced_mb": round(traced / 1e6, 2),
                "seconds": round(took, 2),
                "grown_mb": None if grown_kib is None else round(grown_kib / 1024, 1),
                "evidence_bytes": len(result.model_dump_json()),
                "message": result.message[:120],
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a bound is missed")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(Path(tmp))
    if options.json:
        print(json.dumps(rows, indent=2))
    else:
        print(
            f"{'server':24} {'verdict':7} {'step':10} {'traced':>8} {'time':>6} {'grown':>7}"
            f" {'json':>6}  message"
        )
        for r in rows:
            grown = "-" if r["grown_mb"] is None else f"{r['grown_mb']}MB"
            print(
                f"{r['server']:24} {r['verdict']:7} {r['step'] or '-':10} "
                f"{r['traced_mb']:6.2f}MB {r['seconds']:5.2f}s {grown:>7} "
                f"{r['evidence_bytes']:6d}  {r['message']!r}"
            )
    missed = [
        r["server"]
        for r in rows
        if r["verdict"] == "passed"
        or float(r["traced_mb"]) > MOST_MB
        or (r["grown_mb"] is not None and float(r["grown_mb"]) > MOST_MB)
        or float(r["seconds"]) > STEP
    ]
    if options.check and missed:
        print(f"FAIL: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A separate process for the locking and fault tests: ``python -m tests.store.child CMD``.

hold URL ACTOR [SECONDS]  take the lock, print "locked", keep it until stdin has a line
                          (or for SECONDS)
try URL ACTOR TIMEOUT     print "trying", try to take the lock, print a JSON line saying
                          what happened
appliers URL COUNT        print "ready"; then for each line on stdin fork an applier that
                          prints "pid PID", reads the store and applies the next
                          generation of COUNT domains, printing "begin" just before
                          store.apply and "done" right after it, then waits to be
                          killed (so its pid stays its own); print "exit STATUS" when
                          the applier has ended
use URL COUNT             open the store, read it, apply the next generation of COUNT
                          domains, read it again; print a JSON line with the serial and
                          the Alembic modules this fresh process imported on the way

The appliers are forked from a process that has imported everything but never
connected, so each starts in milliseconds and shares nothing with its siblings.
"""

from __future__ import annotations

import json
import os
import sys
import time

from reconciler.store.base import LockTimeout
from reconciler.store.open import open_store
from tests.store.requests import numbered, request


def hold(url: str, actor: str, seconds: float | None) -> None:
    store = open_store(url)
    with store.lock(actor, timeout=30):
        print("locked", flush=True)
        if seconds is None:
            sys.stdin.readline()
        else:
            time.sleep(seconds)
    store.close()


def try_lock(url: str, actor: str, timeout: float) -> None:
    store = open_store(url)
    print("trying", flush=True)
    started = time.monotonic()
    try:
        with store.lock(actor, timeout=timeout):
            result: dict[str, object] = {"ok": True}
    except LockTimeout as exc:
        result = {"holder": exc.holder, "since": exc.since, "waited": exc.waited}
    result["elapsed"] = time.monotonic() - started
    store.close()
    print(json.dumps(result), flush=True)


def next_generation(url: str, count: int) -> None:
    """Generation g rewrites every port and slides the window of names by count/3, so a
    request has creates, updates and deletes."""
    store = open_store(url)
    current = store.read()
    generation = current.serial + 1
    target = numbered(count, port=1000 + generation, start=(generation % 3) * (count // 3))
    req = request(current, target, [f"192.0.2.{generation % 256}/32"])
    print("begin", flush=True)
    store.apply(req)
    print("done", flush=True)
    store.close()


def appliers(url: str, count: int) -> None:
    print("ready", flush=True)
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                print(f"pid {os.getpid()}", flush=True)
                next_generation(url, count)
                time.sleep(600)
                code = 0
            finally:
                os._exit(code)  # never return into the loop of the parent
        _, status = os.waitpid(pid, 0)
        print(f"exit {status}", flush=True)


def use(url: str, count: int) -> None:
    store = open_store(url)
    try:
        current = store.read()
        target = numbered(count, port=1000 + current.serial + 1)
        store.apply(request(current, target))
        serial = store.read().serial
    finally:
        store.close()
    alembic = sorted(name for name in sys.modules if name.split(".")[0] == "alembic")
    print(json.dumps({"serial": serial, "alembic": alembic}), flush=True)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "hold":
        hold(args[0], args[1], float(args[2]) if len(args) > 2 else None)
    elif command == "try":
        try_lock(args[0], args[1], float(args[2]))
    elif command == "appliers":
        appliers(args[0], int(args[1]))
    elif command == "use":
        use(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown command {command!r}")

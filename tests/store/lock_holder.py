"""A real separate process that holds a store's lock (tests/store/child.py), for the
tests of the lock and of the commands that meet a held one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def holder(url: str, actor: str, *seconds: str) -> Iterator[subprocess.Popen[str]]:
    """A process holding the lock (it has printed "locked"); killed and reaped at the end."""
    with subprocess.Popen(
        [sys.executable, "-m", "tests.store.child", "hold", url, actor, *seconds],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "locked"
            yield child
        finally:
            if child.poll() is None:
                child.kill()


def release(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.write("release\n")
    child.stdin.flush()
    assert child.wait(timeout=30) == 0

"""Run the installed ``mailctl`` with its standard error on a pseudo-terminal, to see
what a person at a terminal sees (colour)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def stderr_on_a_tty(args: list[str], env: dict[str, str]) -> str:
    primary, secondary = pty.openpty()
    executable = str(Path(sys.executable).parent / "mailctl")
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env
    process = subprocess.Popen(
        [executable, *args],
        stderr=secondary,
        stdout=subprocess.DEVNULL,
        env=environment,
        cwd=ROOT,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=30)
    os.close(primary)
    return b"".join(chunks).decode()

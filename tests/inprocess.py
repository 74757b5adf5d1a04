"""Run ``mailctl ARGS`` inside the test process: the console script's own entry point
(``reconciler.cli.main``: its error boundary and exit codes) with standard output and
standard error captured apart, as a subprocess would see them, at none of a
subprocess's start-up cost. The answer has the shape of ``subprocess.run``'s."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main


def invoke(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,  # accepted like run_mailctl's; nothing here hangs on a pipe
) -> subprocess.CompletedProcess[str]:
    """``mailctl ARGS`` run in ``cwd`` with ``env`` added to (and NO_COLOR, FORCE_COLOR
    taken out of) the environment; both are as they were afterwards."""
    del timeout
    changes: dict[str, str | None] = {"NO_COLOR": None, "FORCE_COLOR": None}
    changes.update(env or {})
    before = Path.cwd()
    os.chdir(cwd)
    try:
        with CliRunner().isolation(env=changes) as (out, err, _):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            else:  # pragma: no cover - main always exits
                code = 0
            stdout = out.getvalue().decode()
            stderr = err.getvalue().decode()
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["mailctl", *args], code, stdout, stderr)

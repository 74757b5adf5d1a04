"""Run ``mailctl`` in-process: the real command line (argument parsing, the error
boundary, exit codes, standard output and standard error apart) without starting a
Python for every call. Shaped like ``subprocess.CompletedProcess`` so assertions read
the same as against the installed console script (the smoke tests run that)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main

ROOT = Path(__file__).resolve().parent.parent

# The flags that switch live checks off, per command (as ``run_offline`` in conftest).
_OFFLINE = {
    "plan": ("--no-checks", "--allow-unchecked"),
    "rollback": ("--no-checks", "--allow-unchecked"),
    "apply": ("--no-checks", "--allow-unchecked"),
}


@dataclass(frozen=True)
class Ran:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def mailctl(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Ran:
    """``mailctl ARGS`` run by :func:`reconciler.cli.main` in this process, in ``cwd``
    (default: the checkout, as the subprocess runner) with ``env`` added to the
    environment (NO_COLOR and FORCE_COLOR removed); never raises for a failing command."""
    overrides: dict[str, str | None] = {"NO_COLOR": None, "FORCE_COLOR": None}
    overrides.update(env or {})
    before = Path.cwd()
    os.chdir(cwd or ROOT)
    try:
        with CliRunner().isolation(env=overrides) as (out, err, _):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            else:  # main always exits; reaching here would be a bug in it
                raise AssertionError("reconciler.cli.main returned instead of exiting")
            return Ran(args, code, out.getvalue().decode(), err.getvalue().decode())
    finally:
        os.chdir(before)


def offline(
    command: str, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> Ran:
    """``mailctl`` with the live checks switched off: the hosts in these tests are
    fictional, so no DNS query leaves the machine."""
    return mailctl(command, *_OFFLINE.get(command, ()), *args, cwd=cwd, env=env)

"""Run ``mailctl`` in-process: the real command line (argument parsing, the error
boundary, exit codes, standard output and standard error apart) without starting a
Python for every call. The answer has the shape of ``subprocess.run``'s, so assertions
read the same as against the installed console script (the smoke tests run that)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main

ROOT = Path(__file__).resolve().parent.parent

# The flags that switch live checks off, per command. A plan made without checks is
# blocked by the checks gate (exit 4) unless it is lifted, as its apply would be.
OFFLINE = {
    "plan": ("--no-checks", "--allow-unchecked"),
    "rollback": ("--no-checks", "--allow-unchecked"),
    "apply": ("--no-checks", "--allow-unchecked"),
}

Ran = subprocess.CompletedProcess[str]


def mailctl(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,  # accepted like run_mailctl's; nothing here hangs on a pipe
) -> Ran:
    """``mailctl ARGS`` run by :func:`reconciler.cli.main` in this process, in ``cwd``
    (default: the checkout, as the subprocess runner) with ``env`` added to the
    environment (NO_COLOR and FORCE_COLOR removed); never raises for a failing command.
    The working folder and the environment are as they were afterwards."""
    del timeout
    overrides: dict[str, str | None] = {"NO_COLOR": None, "FORCE_COLOR": None}
    overrides.update(env or {})
    before = Path.cwd()
    os.chdir(cwd or ROOT)
    try:
        with CliRunner().isolation(env=overrides) as (out, err, _):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            else:  # main always exits; reaching here would be a bug in it
                raise AssertionError("reconciler.cli.main returned instead of exiting")
            return subprocess.CompletedProcess(
                ["mailctl", *args], code, out.getvalue().decode(), err.getvalue().decode()
            )
    finally:
        os.chdir(before)


def offline(
    command: str,
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Ran:
    """``mailctl`` with the live checks switched off: the hosts in these tests are
    fictional, so no DNS query leaves the machine."""
    return mailctl(command, *OFFLINE.get(command, ()), *args, cwd=cwd, env=env, timeout=timeout)


def run_captured(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """``mailctl ARGV`` in this process: (exit code, standard error)."""
    with pytest.raises(SystemExit) as ended:
        main(list(argv))
    code = ended.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err

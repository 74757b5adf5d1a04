"""Shared test helpers: run the installed ``mailctl`` as a real subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import pgcluster
from tests.cli_support import OFFLINE

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = ROOT / "examples"
# Real data no one here wrote (ISPDB files, published IP-range feeds), copied byte for byte
# into the checkout with their sources named in tests/data/corpus/README.md; read-only.
CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _mailctl_executable() -> str:
    beside = Path(sys.executable).parent / "mailctl"
    if beside.exists():
        return str(beside)
    found = shutil.which("mailctl")
    if found is None:
        pytest.fail("the mailctl console script is not installed; run ./scripts/test")
    return found


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def mailctl_bin() -> str:
    return _mailctl_executable()


@pytest.fixture
def run_mailctl(mailctl_bin: str) -> Run:
    """Run ``mailctl ARGS`` as a subprocess; returns the completed process (never raises)."""

    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        full_env.update(env or {})
        return subprocess.run(
            [mailctl_bin, *args],
            cwd=cwd or ROOT,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture
def mailctl() -> Run:
    """Like ``run_mailctl``, in this process (``tests.cli_support``): for behaviour; keep
    ``run_mailctl`` for the smoke tests of the installed console script."""
    from tests.cli_support import mailctl as in_process

    return in_process


@pytest.fixture
def mailctl_offline() -> Run:
    """``run_offline``, in this process."""
    from tests.cli_support import offline

    return offline


@pytest.fixture
def run_offline(run_mailctl: Run) -> Run:
    """``run_mailctl`` with the live checks switched off: for tests about the store and
    the plan, whose hosts are fictional (the checks have their own tests, against real
    servers), so that no DNS query leaves the machine."""

    def run(command: str, *args: str, **options: Any) -> subprocess.CompletedProcess[str]:
        return run_mailctl(command, *OFFLINE.get(command, ()), *args, **options)

    return run


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgcluster.Cluster]:
    """One throwaway PostgreSQL cluster for the whole run (each test makes its own
    database in it)."""
    try:
        cluster = pgcluster.start()
    except pgcluster.ClusterUnavailable as exc:
        # Not a skip: the test command installs PostgreSQL, so its absence is a broken setup.
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()

"""Shared test helpers: run the installed ``mailctl`` as a real subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = ROOT / "examples"


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

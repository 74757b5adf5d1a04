"""Who applies, and from which commit: recorded in every history entry."""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path


def actor(explicit: str | None, env: Mapping[str, str] = os.environ) -> str:
    """``--actor``, else ``GITHUB_ACTOR``, else the login name of this process."""
    if explicit:
        return explicit
    if env.get("GITHUB_ACTOR"):
        return env["GITHUB_ACTOR"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def commit(cwd: Path, env: Mapping[str, str] = os.environ) -> str | None:
    """``GITHUB_SHA``, else ``git rev-parse HEAD`` when ``cwd`` is in a repository."""
    if env.get("GITHUB_SHA"):
        return env["GITHUB_SHA"]
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha = result.stdout.strip()
    return sha if result.returncode == 0 and sha else None

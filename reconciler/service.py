"""The use cases behind the commands. Each returns data; the CLI decides how to show it."""

from __future__ import annotations

from pathlib import Path

from reconciler.loader import Loaded, load


def validate(path: Path) -> Loaded:
    """Load and check the desired state at ``path``; raises InputError on any error."""
    return load(path)

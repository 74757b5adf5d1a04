"""Atomic file writes: a reader sees the old content or the new, never half of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, fsync it,
    then rename it over ``path``. On any failure ``path`` is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def write_atomic_many(files: Sequence[tuple[Path, bytes]], workers: int = 16) -> None:
    """:func:`write_atomic` for many files at once, each file still old or new, never half.

    Every file goes to its temporary file first; the temporary files are synced
    concurrently (the filesystem journal then commits many syncs together, where one
    sync after another pays a commit each: thousands of allowlist files took seconds);
    only then are they renamed into place, in order. On any failure no temporary file
    is left, and the files renamed so far stay new, the rest old.
    """
    temps: list[tuple[Path, Path]] = []
    renamed = 0
    try:
        for path, data in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((Path(name), path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(temps)))) as pool:
            list(pool.map(_sync_file, (temp for temp, _ in temps)))
        for temp, path in temps:
            temp.replace(path)
            renamed += 1
    except BaseException:
        for temp, _ in temps[renamed:]:
            with contextlib.suppress(OSError):
                temp.unlink()
        raise


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

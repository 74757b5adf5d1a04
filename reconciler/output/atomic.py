"""Atomic file writes: a reader sees the old content or the new, never half of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

Data = bytes | Iterable[bytes]  # the bytes, or their pieces in order (made as written)


def write_atomic(path: Path, data: Data) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, fsync it,
    then rename it over ``path``. On any failure ``path`` is left as it was."""
    write_atomic_many([(path, data)])


def write_atomic_many(files: Sequence[tuple[Path, Data]], workers: int = 16) -> None:
    """:func:`write_atomic` for many files at once, each file still old or new, never half.

    Every file goes to its temporary file first; the temporary files are synced
    concurrently (the filesystem journal then commits many syncs together, where one
    sync after another pays a commit each: thousands of allowlist files took seconds);
    only then are they renamed into place, in order. On any failure no temporary file
    is left, and the files renamed so far stay new, the rest old.

    A new file gets the mode the umask gives (``mkstemp`` alone would make it 0600,
    unreadable to the firewall tooling that consumes it); a replaced file keeps its mode.
    """
    temps: list[tuple[Path, Path]] = []
    renamed = 0
    try:
        for path, data in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((Path(name), path))
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), _mode(path))
                if isinstance(data, bytes):
                    handle.write(data)
                else:
                    handle.writelines(data)
        if len(temps) == 1:
            sync(temps[0][0])
        else:
            with ThreadPoolExecutor(max_workers=max(1, min(workers, len(temps)))) as pool:
                list(pool.map(sync, (temp for temp, _ in temps)))
        for temp, path in temps:
            temp.replace(path)
            renamed += 1
    except BaseException:
        for temp, _ in temps[renamed:]:
            with contextlib.suppress(OSError):
                temp.unlink()
        raise


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    # The only way to read the umask is to set it; done once, before any thread writes.
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


_UMASK: int | None = None


def sync(path: Path) -> None:
    """fsync a file, or a folder (which makes the renames and removals in it durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

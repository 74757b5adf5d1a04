"""Atomic file writes: a reader sees the old content or the new, never half of it."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, fsync it,
    then rename it over ``path``. On any failure ``path`` is left as it was."""
    write_atomic_many([(path, data)])


def write_atomic_many(files: Sequence[tuple[Path, bytes]], workers: int = 16) -> None:
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
                handle.write(data)
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


class LockFileRefused(Exception):
    """A lock file that is not mailctl's own plain file; ``what`` says what it is."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


# No O_TRUNC: a lock file is never emptied by opening it. O_NOFOLLOW: a link in its
# place is refused, never followed. O_NONBLOCK: a FIFO in its place does not block.
_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def open_lock_file(path: str | Path, dir_fd: int | None = None) -> int:
    """A descriptor of the lock file ``path`` (relative to ``dir_fd`` if given), created
    0644 when missing. Raises LockFileRefused when ``path`` is a symbolic link, not a
    regular file, or a file with other names (a hard link to a file elsewhere), and
    OSError when it cannot be opened. Opening writes and truncates nothing, so that a
    lock file in the place of another file (a committed link, a hard link) never
    changes that file."""
    try:
        fd = os.open(path, _LOCK_FLAGS, 0o644, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LockFileRefused("is a symbolic link") from None
        raise
    info = os.fstat(fd)
    problem = (
        "is not a regular file"
        if not stat.S_ISREG(info.st_mode)
        else "is a hard link to a file with other names"
        if info.st_nlink != 1
        else ""
    )
    if problem:
        os.close(fd)
        raise LockFileRefused(problem)
    return fd

"""Lock files that never change another file, and never lead out of their folder.

The lock of an output folder lives *beside* it, in its parent (:func:`beside`): the
folder is what gets published (committed to the firewall branch, served, uploaded as
an artifact), and a lock file in it would be published with it."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from reconciler.errors import MailctlError


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


@contextlib.contextmanager
def hold(
    folder: Path,
    dir_fd: int,
    name: str,
    busy: str,
    refused: Callable[[Path, str], Exception],
) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the file ``name`` of the open folder ``dir_fd``
    (``folder`` names it in messages), or raise MailctlError(``busy``) when another
    process holds it; ``refused(path, what)`` is raised for a lock file that
    :func:`open_lock_file` refuses. The lock file is opened as that function does:
    never through a link, never truncated, nothing written into it."""
    try:
        fd = open_lock_file(name, dir_fd=dir_fd)
    except LockFileRefused as problem:
        raise refused(folder / name, problem.what) from None
    except OSError as exc:
        raise MailctlError(f"{folder}: cannot write into this folder: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MailctlError(f"{folder}: {busy}") from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_name(folder: Path, suffix: str) -> tuple[Path, str]:
    """Where the lock of the output folder ``folder`` lives: its parent folder (links
    in the path resolved, so every spelling of one folder finds one lock) and the name
    ``.<folder name><suffix>``. A MailctlError for ``/``, which has no parent."""
    real = Path(os.path.realpath(folder))
    if real.parent == real:
        raise MailctlError(
            f"{folder}: mailctl keeps the lock of an output folder beside it, and / has "
            "nothing beside it; write into a folder below /"
        )
    return real.parent, f".{real.name}{suffix}"


@contextlib.contextmanager
def beside(
    folder: Path, suffix: str, busy: str, refused: Callable[[Path, str], Exception]
) -> Iterator[None]:
    """Hold the exclusive lock of the output folder ``folder`` (which must exist): the
    file :func:`lock_name` names, in the parent, opened and held as :func:`hold` does."""
    parent, name = lock_name(folder, suffix)
    try:
        fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise MailctlError(f"{parent}: cannot open the folder: {exc.strerror}") from None
    try:
        with hold(parent, fd, name, busy, refused):
            yield
    finally:
        os.close(fd)

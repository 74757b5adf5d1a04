"""An output folder that no write, replacement or removal ever leaves (its lock file
sits beside it, see :func:`reconciler.output.lock.beside`).

The folders mailctl writes into (``allowlist --out``, ``autoconfig export --out``) are
often part of a checkout that a pull request can change. Every name below the folder is
reached by the walk of :mod:`reconciler.output.walk`, which refuses links and never
follows them; ``rename``, ``unlink`` and ``rmdir`` relative to a folder descriptor act on
the name itself, never on a link's target. The folder itself is the operator's choice
(``--out``) and is opened as given.

Writes are atomic and durable as :mod:`reconciler.output.batch` (and
:mod:`reconciler.output.atomic`) describe.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from reconciler.errors import InputError, MailctlError
from reconciler.output import batch
from reconciler.output.lock import beside
from reconciler.output.walk import FolderWalk, refused, split

# O_NONBLOCK: opening a FIFO someone put in the way must not wait for a writer.
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class OutputFolder(FolderWalk):
    """An open output folder. Use :meth:`open`; paths are ``/``-separated and relative.

    Every method that meets a link (or a non-folder where a folder belongs) on its way
    raises the InputError of :func:`refused`, except :meth:`remove` and :meth:`prune`,
    which leave such paths alone (a file reached through a link is not one mailctl
    wrote). Other failures are OSError.
    """

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path, create: bool = True) -> Iterator[OutputFolder]:
        """The folder at ``path`` (created with its parents when ``create``); a
        MailctlError when it cannot be created or opened."""
        try:
            if create:
                path.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            doing = "create" if create else "open"
            raise MailctlError(f"{path}: cannot {doing} the folder: {exc.strerror}") from None
        folder = cls(path, fd)
        try:
            yield folder
        finally:
            folder.forget(())
            os.close(fd)

    # --- reading --------------------------------------------------------------------

    def lexists(self, relative: str) -> bool:
        """Whether anything (a link included) has the name ``relative``."""
        parent, name = self.parent(relative)
        if parent is None:
            return False
        try:
            os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def _open_file(self, relative: str) -> int | None:
        """A descriptor of the regular file ``relative``, None when there is none."""
        parent, name = self.parent(relative)
        if parent is None:
            return None
        try:
            fd = os.open(name, _READ, dir_fd=parent)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise refused(self.path / relative, "is a symbolic link") from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise refused(self.path / relative, "is not a regular file")
        return fd

    def read(self, relative: str) -> bytes | None:
        """The bytes of the file ``relative``, None when it does not exist."""
        fd = self._open_file(relative)
        if fd is None:
            return None
        with os.fdopen(fd, "rb") as handle:
            return handle.read()

    def holds(self, relative: str, data: bytes) -> bool:
        """True when ``relative`` is a file holding exactly ``data`` (sizes compared
        first, so a changed file is usually told apart without reading it)."""
        fd = self._open_file(relative)
        if fd is None:
            return False
        with os.fdopen(fd, "rb") as handle:
            return os.fstat(fd).st_size == len(data) and handle.read() == data

    # --- writing --------------------------------------------------------------------

    def write(self, relative: str, data: bytes) -> None:
        """:meth:`write_many` of one file."""
        self.write_many([(relative, data)])

    def write_many(self, files: Sequence[tuple[str, bytes]], workers: int = 16) -> None:
        """Write every file atomically and durably (:mod:`reconciler.output.batch`). On
        any failure no temporary file is left; files renamed so far are new, the rest old."""
        batch.write_many(self, files, workers)

    # --- removing -------------------------------------------------------------------

    def remove(self, relative: str) -> bool:
        """Remove ``relative`` if it is a regular file reached without a link; True if
        removed. Links, folders and paths through links are left alone."""
        try:
            parent, name = self.parent(relative)
            if parent is None:
                return False
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except (FileNotFoundError, InputError):
            return False
        if not stat.S_ISREG(info.st_mode):
            return False
        try:
            os.unlink(name, dir_fd=parent)
        except FileNotFoundError:
            return False
        return True

    def prune(self, relative: str) -> None:
        """Remove the folders above ``relative`` that are now empty, up to the folder."""
        parts = split(relative)[:-1]
        while parts:
            self.forget(parts)
            try:
                parent = self.folder(parts[:-1], create=False)
                if parent is None:
                    return
                os.rmdir(parts[-1], dir_fd=parent)  # never follows: a link is ENOTDIR
            except (OSError, InputError):
                return
            parts = parts[:-1]

    def sync(self) -> None:
        """Make the renames and removals in the folder itself durable."""
        os.fsync(self._fd)

    @contextlib.contextmanager
    def lock(self, suffix: str, busy: str) -> Iterator[None]:
        """Hold the exclusive lock of the folder: the file ``.<folder name><suffix>``
        beside it (:func:`reconciler.output.lock.beside`; MailctlError(``busy``) when
        another process holds it)."""
        with beside(self.path, suffix, busy, refused):
            yield

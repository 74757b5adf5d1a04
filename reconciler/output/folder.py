"""An output folder that no write, replacement, removal or lock ever leaves.

The folders mailctl writes into (``allowlist --out``, ``autoconfig export --out``) are
often part of a checkout that a pull request can change, and a pull request can commit a
symbolic link: ``www/example.com -> /etc``. A path joined and opened by name follows
such a link out of the folder. Here every name below the folder is opened relative to
the descriptor of the folder above it, one component at a time, with ``O_NOFOLLOW``
(``O_DIRECTORY`` for folders): a link, or a file where a folder belongs, is refused with
an InputError naming its path, and is never followed. ``rename``, ``unlink`` and
``rmdir`` relative to a folder descriptor act on the name itself, never on a link's
target. The folder itself is the operator's choice (``--out``) and is opened as given.

Writes are atomic and durable as :mod:`reconciler.output.atomic` describes: every file goes to
a temporary file in its own folder (``.<name>.<random>.tmp``, created with ``O_EXCL``);
the temporary files are fsynced together; only then are they renamed into place, in
order. A new file gets the mode the umask gives; a replaced file keeps its mode.

Descriptors of subfolders are cached while the folder is open (a few dozen at most),
so writing thousands of files does not walk every path from the top.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reconciler.errors import InputError, Location, MailctlError
from reconciler.output.lock import hold

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO someone put in the way must not wait for a writer.
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_TEMP = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_CACHED = 64  # subfolder descriptors kept open at most
_BATCH = 256  # temporary files open at once while they are synced together
_NAME_MAX = 255

Parts = tuple[str, ...]


def refused(path: Path, what: str) -> InputError:
    """The error for a link (or other non-folder, non-file) where mailctl would write."""
    return InputError.single(
        Location(str(path)),
        f"{what}: mailctl writes, replaces, removes and locks nothing through a link or "
        "in place of something that is not its own file, so that nothing outside the "
        "output folder is ever touched",
        "remove it (or replace it with a real folder), or write into another folder (--out)",
    )


def split(relative: str) -> Parts:
    """``relative`` as its names; a ValueError unless it is a plain relative path below
    the folder (no empty, ``.`` or ``..`` component, not absolute). Callers pass names
    they produced or checked, so this is a programming error, not an input error."""
    parts = tuple(relative.split("/"))
    if not relative or "\0" in relative or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a path inside the folder: {relative!r}")
    return parts


class OutputFolder:
    """An open output folder. Use :meth:`open`; paths are ``/``-separated and relative.

    Every method that meets a link (or a non-folder where a folder belongs) on its way
    raises the InputError of :func:`refused`, except :meth:`remove` and :meth:`prune`,
    which leave such paths alone (a file reached through a link is not one mailctl
    wrote). Other failures are OSError.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self._folders: dict[Parts, int] = {}

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
            folder._forget(())
            os.close(fd)

    # --- walking --------------------------------------------------------------------

    def _forget(self, below: Parts) -> None:
        """Close the cached descriptors of ``below`` and its subfolders."""
        for parts in [p for p in self._folders if p[: len(below)] == below]:
            os.close(self._folders.pop(parts))

    def _folder(self, parts: Parts, create: bool) -> int | None:
        """The descriptor of subfolder ``parts`` (owned by the cache), None when it does
        not exist and ``create`` is false; refuses links and non-folders on the way."""
        if not parts:
            return self._fd
        known = self._folders.get(parts)
        if known is not None:
            return known
        parent = self._folder(parts[:-1], create)
        if parent is None:
            return None
        name = parts[-1]
        try:
            fd = os.open(name, _FOLDER, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o777, dir_fd=parent)
            fd = self._reopen(parent, parts)
        except OSError as exc:
            raise self._refusal(parent, parts, exc) from None
        if len(self._folders) >= _CACHED:
            # Keep the folders above this one: the caller's walk may still use them.
            for other in [p for p in self._folders if p != parts[: len(p)]]:
                os.close(self._folders.pop(other))
        self._folders[parts] = fd
        return fd

    def _reopen(self, parent: int, parts: Parts) -> int:
        try:
            return os.open(parts[-1], _FOLDER, dir_fd=parent)
        except OSError as exc:  # a link put there since the mkdir
            raise self._refusal(parent, parts, exc) from None

    def _refusal(self, parent: int, parts: Parts, exc: OSError) -> Exception:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            return exc
        where = self.path.joinpath(*parts)
        try:
            link = stat.S_ISLNK(os.stat(parts[-1], dir_fd=parent, follow_symlinks=False).st_mode)
        except OSError:
            link = exc.errno == errno.ELOOP
        return refused(where, "is a symbolic link" if link else "is not a folder")

    def _parent(self, relative: str, create: bool = False) -> tuple[int | None, str]:
        parts = split(relative)
        return self._folder(parts[:-1], create), parts[-1]

    # --- reading --------------------------------------------------------------------

    def lexists(self, relative: str) -> bool:
        """Whether anything (a link included) has the name ``relative``."""
        parent, name = self._parent(relative)
        if parent is None:
            return False
        try:
            os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def _open_file(self, relative: str) -> int | None:
        """A descriptor of the regular file ``relative``, None when there is none."""
        parent, name = self._parent(relative)
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
        """Write every file atomically and durably (see the module docstring). On any
        failure no temporary file is left; files renamed so far are new, the rest old."""
        temps: list[tuple[Parts, str, str]] = []  # (folder, temporary name, name)
        renamed = 0
        try:
            for start in range(0, len(files), _BATCH):
                opened: list[int] = []
                try:
                    for relative, data in files[start : start + _BATCH]:
                        opened.append(self._temporary(relative, data, temps))
                    if len(opened) == 1:
                        os.fsync(opened[0])
                    elif opened:
                        # Synced together: the journal commits many syncs at once.
                        with ThreadPoolExecutor(max_workers=min(workers, len(opened))) as pool:
                            list(pool.map(os.fsync, opened))
                finally:
                    for fd in opened:
                        os.close(fd)
            for parts, temp, name in temps:
                folder = self._existing(parts)
                os.rename(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
                renamed += 1
        except BaseException:
            for parts, temp, _ in temps[renamed:]:
                with contextlib.suppress(OSError, InputError):
                    os.unlink(temp, dir_fd=self._existing(parts))
            raise

    def _existing(self, parts: Parts) -> int:
        folder = self._folder(parts, create=False)
        if folder is None:
            raise FileNotFoundError(errno.ENOENT, "folder removed while writing", "/".join(parts))
        return folder

    def _temporary(self, relative: str, data: bytes, temps: list[tuple[Parts, str, str]]) -> int:
        """A temporary file beside ``relative`` holding ``data``, listed in ``temps``;
        its descriptor, for the caller to sync and close."""
        parts = split(relative)
        folder = self._folder(parts[:-1], create=True)
        assert folder is not None  # created
        name = parts[-1]
        mode: int | None = None
        with contextlib.suppress(FileNotFoundError):
            info = os.stat(name, dir_fd=folder, follow_symlinks=False)
            if stat.S_ISREG(info.st_mode):
                mode = info.st_mode & 0o7777
        while True:
            temp = f".{name[: _NAME_MAX - 22]}.{secrets.token_hex(8)}.tmp"
            try:
                # 0o666: the umask decides, as for any new file.
                fd = os.open(temp, _TEMP, 0o666, dir_fd=folder)
                break
            except FileExistsError:
                continue
        temps.append((parts[:-1], temp, name))
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except BaseException:
            os.close(fd)
            raise
        return fd

    # --- removing -------------------------------------------------------------------

    def remove(self, relative: str) -> bool:
        """Remove ``relative`` if it is a regular file reached without a link; True if
        removed. Links, folders and paths through links are left alone."""
        try:
            parent, name = self._parent(relative)
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
            self._forget(parts)
            try:
                parent = self._folder(parts[:-1], create=False)
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
    def lock(self, name: str, busy: str) -> Iterator[None]:
        """Hold the exclusive lock of the file ``name`` of the folder, as
        :func:`reconciler.output.lock.hold` does (MailctlError(``busy``) when another
        process holds it)."""
        with hold(self.path, self._fd, name, busy, refused):
            yield

"""The walk below an output folder that no name can lead out of.

A pull request can commit a symbolic link (``www/example.com -> /etc``), and a path
joined and opened by name follows it. Here every name below the folder is opened
relative to the descriptor of the folder above it, one component at a time, with
``O_NOFOLLOW`` (``O_DIRECTORY`` for folders): a link, or a file where a folder belongs,
is refused with an InputError naming its path (:func:`refused`), and is never followed.

Descriptors of subfolders are cached while the folder is open (a few dozen at most),
so writing thousands of files does not walk every path from the top.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from reconciler.errors import InputError, Location

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_CACHED = 64  # subfolder descriptors kept open at most

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


class FolderWalk:
    """Descriptors of an open folder and of its subfolders, reached without a link."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self._folders: dict[Parts, int] = {}
        # Cached folders this walk made: a name below one is new, so it is made without
        # first trying to open it (a failed open costs as much as the mkdir).
        self._made: set[Parts] = set()

    def forget(self, below: Parts) -> None:
        """Close the cached descriptors of ``below`` and its subfolders."""
        for parts in [p for p in self._folders if p[: len(below)] == below]:
            self._close(parts)

    def _close(self, parts: Parts) -> None:
        os.close(self._folders.pop(parts))
        self._made.discard(parts)

    def folder(self, parts: Parts, create: bool) -> int | None:
        """The descriptor of subfolder ``parts`` (owned by the cache), None when it does
        not exist and ``create`` is false; refuses links and non-folders on the way."""
        if not parts:
            return self._fd
        known = self._folders.get(parts)
        if known is not None:
            return known
        parent = self.folder(parts[:-1], create)
        if parent is None:
            return None
        made = False
        if create and parts[:-1] in self._made:
            fd, made = self._make(parent, parts)
        else:
            try:
                fd = os.open(parts[-1], _FOLDER, dir_fd=parent)
            except FileNotFoundError:
                if not create:
                    return None
                fd, made = self._make(parent, parts)
            except OSError as exc:
                raise self._refusal(parent, parts, exc) from None
        if len(self._folders) >= _CACHED:
            # Keep the folders above this one: the caller's walk may still use them.
            for other in [p for p in self._folders if p != parts[: len(p)]]:
                self._close(other)
        self._folders[parts] = fd
        if made:
            self._made.add(parts)
        return fd

    def _make(self, parent: int, parts: Parts) -> tuple[int, bool]:
        """Make folder ``parts`` and open it; whether this call made it. What another
        process put there first is opened as any name is: a link is refused."""
        made = True
        try:
            os.mkdir(parts[-1], 0o777, dir_fd=parent)
        except FileExistsError:
            made = False
        return self._reopen(parent, parts), made

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

    def parent(self, relative: str, create: bool = False) -> tuple[int | None, str]:
        parts = split(relative)
        return self.folder(parts[:-1], create), parts[-1]

    def existing(self, parts: Parts) -> int:
        folder = self.folder(parts, create=False)
        if folder is None:
            raise FileNotFoundError(errno.ENOENT, "folder removed while writing", "/".join(parts))
        return folder

"""A batch of files written into an output folder atomically and durably.

Every file goes to a temporary file in its own folder (``.<name>.<random>.tmp``,
created with ``O_EXCL``, reached by the link-refusing walk of
:mod:`reconciler.output.walk`); the temporary files are fsynced together, a few hundred
at a time; only then are they renamed into place, in order. A new file gets the mode the
umask gives; a replaced file keeps its mode. On any failure no temporary file is left:
files renamed so far are new, the rest old.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from reconciler.errors import InputError
from reconciler.output.walk import FolderWalk, Parts, split

_TEMP = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_BATCH = 256  # temporary files open at once while they are synced together
_NAME_MAX = 255


def write_many(walk: FolderWalk, files: Sequence[tuple[str, bytes]], workers: int = 16) -> None:
    """Write every file atomically and durably (see the module docstring). On any
    failure no temporary file is left; files renamed so far are new, the rest old."""
    temps: list[tuple[Parts, str, str]] = []  # (folder, temporary name, name)
    renamed = 0
    try:
        for start in range(0, len(files), _BATCH):
            opened: list[int] = []
            try:
                for relative, data in files[start : start + _BATCH]:
                    opened.append(_temporary(walk, relative, data, temps))
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
            folder = walk.existing(parts)
            os.rename(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
            renamed += 1
    except BaseException:
        for parts, temp, _ in temps[renamed:]:
            with contextlib.suppress(OSError, InputError):
                os.unlink(temp, dir_fd=walk.existing(parts))
        raise


def _temporary(
    walk: FolderWalk, relative: str, data: bytes, temps: list[tuple[Parts, str, str]]
) -> int:
    """A temporary file beside ``relative`` holding ``data``, listed in ``temps``;
    its descriptor, for the caller to sync and close."""
    parts = split(relative)
    folder = walk.folder(parts[:-1], create=True)
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

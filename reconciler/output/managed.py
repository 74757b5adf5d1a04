"""The one writer of a folder mailctl manages: the allowlists and the autoconfig export.

A managed folder holds the files one producer renders and a manifest of every file
that producer wrote there; its lock file lives beside it (``.<folder name><lock>`` in
the parent), so that publishing the folder never publishes a lock. One run:

1. opens the folder (no link below it is ever followed, see :mod:`.folder`) and takes
   the producer's exclusive lock: a second run on the folder is refused, not
   interleaved;
2. reads the manifest and hands its bytes to the producer, which parses it, judges
   which names listed there are its own (:func:`owned`: only a name the producer can
   make; anything else a pull request added to a committed manifest is never removed
   nor replaced) and renders its files (a :class:`Batch`);
3. refuses, before writing anything, to replace a file it does not own;
4. looks at every file (a link is refused) and leaves the unchanged ones untouched, so
   their bytes and mtimes stay and Git and rsync see real changes only;
5. writes the manifest listing old and new files, then the changed files atomically
   as one batch, removes the stale ones it owns (pruning folders they leave empty),
   and writes the final manifest: whatever moment a run dies at, every file it wrote
   is listed, whole, old or new.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import InputError, Location, not_ours
from reconciler.output.folder import OutputFolder


@dataclass(frozen=True)
class Producer:
    """What tells one producer's managed folder from another's."""

    manifest: str  # the manifest's file name, at the top of the folder
    lock: str  # the lock file's suffix: ".<folder name><lock>", beside the folder
    busy: str  # said when another run holds the lock
    instead: str  # "move it away, or <instead> into another folder (--out)"


@dataclass(frozen=True)
class Batch:
    """What one run brings the folder to, rendered by the producer from the manifest."""

    files: Sequence[tuple[str, bytes]]  # every file produced now: relative name, bytes
    owned: frozenset[str]  # names the manifest lists that the producer can make
    stale: Sequence[str]  # owned names no longer produced: removed
    listing: bytes  # the manifest while writing: old and new files listed
    manifest: bytes  # the manifest once the run is done


@dataclass(frozen=True)
class Outcome:
    """What a run did, names relative to the folder, sorted."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]  # stale files that were there and were removed


def owned(names: Iterable[str], can_make: Callable[[str], bool]) -> tuple[str, ...]:
    """The ownership judgement: of the ``names`` a manifest lists, those the producer
    can make (``can_make``). Only these are ever replaced or removed."""
    return tuple(name for name in names if can_make(name))


def write(path: Path, producer: Producer, render: Callable[[bytes | None], Batch]) -> Outcome:
    """Bring the folder at ``path`` (created if missing) to what ``render`` makes of the
    manifest's bytes (None when there is none), as the module docstring says.

    Raises InputError, nothing written, when a file to write is not the producer's or
    lies behind a link, or when the manifest cannot be read; MailctlError when the
    folder cannot be opened or locked, or another run holds the lock; OSError when a
    write fails (every file then whole and listed: running again finishes)."""
    with OutputFolder.open(path) as folder, folder.lock(producer.lock, producer.busy):
        try:
            raw = folder.read(producer.manifest)
        except OSError as exc:
            where = Location(str(folder.path / producer.manifest))
            raise InputError.single(where, f"cannot read: {exc.strerror}") from None
        return _apply(folder, producer, render(raw))


def _apply(folder: OutputFolder, producer: Producer, batch: Batch) -> Outcome:
    names = {name for name, _ in batch.files}
    foreign = sorted(n for n in names if n not in batch.owned and folder.lexists(n))
    if foreign:
        where = str(folder.path / foreign[0])
        raise not_ours(where, len(foreign), producer.instead, producer.manifest)
    # Every file is looked at (a link refused) before the first write.
    changed = [(name, data) for name, data in batch.files if not folder.holds(name, data)]
    if _put(folder, producer.manifest, batch.listing):
        _sync(folder)  # listed on disk before any file it lists is
    folder.write_many(changed)
    removed = []
    for name in batch.stale:
        if name in batch.owned and name not in names and folder.remove(name):
            removed.append(name)
            folder.prune(name)
    _put(folder, producer.manifest, batch.manifest)
    _sync(folder)
    written = {name for name, _ in changed}
    return Outcome(
        written=tuple(sorted(written)),
        unchanged=tuple(sorted(names - written)),
        removed=tuple(sorted(removed)),
    )


def _put(folder: OutputFolder, name: str, data: bytes) -> bool:
    """Write ``data`` to ``name`` unless it already holds exactly that; True if written."""
    if folder.holds(name, data):
        return False
    folder.write(name, data)
    return True


def _sync(folder: OutputFolder) -> None:
    """Make the renames and removals durable (the files themselves were synced)."""
    with contextlib.suppress(OSError):
        folder.sync()

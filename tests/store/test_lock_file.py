"""The SQLite store's lock file is locked in place, never through a link: a lock file
that is another file's name (a symbolic or hard link a pull request committed) is
refused, and that file keeps its bytes; nothing is created outside the store's folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.store.base import Store, StoreError
from reconciler.store.open import open_store


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "checkout" / ".mailctl"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def store(folder: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{folder / 'state.db'}")
    try:
        yield opened
    finally:
        opened.close()


def refused(store: Store, folder: Path, what: str) -> None:
    with pytest.raises(StoreError) as caught, store.lock("ci", timeout=1):
        pass
    assert str(caught.value).startswith(f"the lock file {folder / 'state.db.lock'} {what}")


def test_a_lock_file_linked_to_another_file_leaves_it_unchanged(
    tmp_path: Path, folder: Path, store: Store
) -> None:
    victim = tmp_path / "victim.db"
    victim.write_bytes(b"another file's bytes\n")
    (folder / "state.db.lock").symlink_to(victim)
    refused(store, folder, "is a symbolic link")
    assert victim.read_bytes() == b"another file's bytes\n"


def test_a_lock_file_linked_outside_creates_nothing_there(
    tmp_path: Path, folder: Path, store: Store
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "state.db.lock").symlink_to(outside / "created")
    refused(store, folder, "is a symbolic link")
    assert list(outside.iterdir()) == []


def test_a_lock_file_hard_linked_to_another_file_leaves_it_unchanged(
    tmp_path: Path, folder: Path, store: Store
) -> None:
    victim = tmp_path / "victim.db"
    victim.write_bytes(b"another file's bytes\n")
    os.link(victim, folder / "state.db.lock")
    refused(store, folder, "is a hard link to a file with other names")
    assert victim.read_bytes() == b"another file's bytes\n"


def test_a_fifo_in_place_of_the_lock_file_is_refused_without_blocking(
    folder: Path, store: Store
) -> None:
    os.mkfifo(folder / "state.db.lock")
    refused(store, folder, "is not a regular file")


def test_the_lock_file_is_never_truncated(folder: Path, store: Store) -> None:
    """The holder's record overwrites the file's start and is blanked on release; the
    file is never cut short (a truncation is what emptied a linked file before)."""
    lock = folder / "state.db.lock"
    lock.write_bytes(b"x" * 2000)
    with store.lock("ci", timeout=1):
        held = lock.read_bytes()
        assert b'"actor": "ci"' in held[:512] and len(held) == 2000
    released = lock.read_bytes()
    assert released == b" " * 512 + b"x" * 1488

"""The managed-folder contract, once for every producer that writes through
:mod:`reconciler.output.managed` (the allowlists and the autoconfig export): one run at a
time, a file it did not write is never replaced, unchanged files are not touched, and
its lock file lives beside the folder (never in the folder that gets published), never
changes another file and is never reached through a link."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.allowlist import writer as allowlist_writer
from reconciler.allowlist.formats import FORMATS
from reconciler.allowlist.rules import Origin, build
from reconciler.autoconfig import writer as autoconfig_writer
from reconciler.errors import InputError, MailctlError
from reconciler.output.lock import lock_name
from tests.output.support import domain, tree

OLD = 1_000_000_000  # an mtime (2001) that no write of this test can produce


@dataclass(frozen=True)
class Producer:
    """One caller of the managed-folder writer, as the contract sees it."""

    write: Callable[[Path, tuple[str, ...]], object]  # folder, domain names
    manifest: str
    lock: str
    target: str  # a file name the producer writes for a.example
    busy: str  # what the refusal of a second writer says


def write_allowlists(out: Path, names: tuple[str, ...]) -> object:
    rules = build(("192.0.2.0/28",), [domain(n) for n in names], Origin("stored", "L1", 1))
    return allowlist_writer.write(out, rules, tuple(FORMATS.values()))


def export_autoconfig(out: Path, names: tuple[str, ...]) -> object:
    return autoconfig_writer.export_domains(out, {n: domain(n) for n in names})


PRODUCERS = {
    "allowlist": Producer(
        write_allowlists,
        allowlist_writer.MANIFEST,
        allowlist_writer.LOCK,
        "a.example.nft",
        "another mailctl is writing",
    ),
    "autoconfig": Producer(
        export_autoconfig,
        autoconfig_writer.MANIFEST,
        autoconfig_writer.LOCK,
        "www/a.example/mail/config-v1.1.xml",
        "another mailctl is exporting",
    ),
}


@pytest.fixture(params=sorted(PRODUCERS))
def producer(request: pytest.FixtureRequest) -> Producer:
    return PRODUCERS[request.param]


def snapshot(folder: Path, lock: str) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime (ns), a lock file left by an older mailctl aside."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != lock
    }


def lock_of(out: Path, producer: Producer) -> Path:
    parent, name = lock_name(out, producer.lock)
    return parent / name


def test_the_lock_file_lives_beside_the_folder_never_in_it(
    tmp_path: Path, producer: Producer
) -> None:
    out = tmp_path / "published"
    producer.write(out, ("a.example",))
    lock = tmp_path / f".published{producer.lock}"
    assert lock_of(out, producer) == lock
    assert lock.is_file()
    assert producer.lock not in {p.name for p in out.rglob("*")}
    assert not [p for p in out.rglob("*.lock")]
    # Every spelling of the folder finds the one lock.
    (tmp_path / "alias").symlink_to(out)
    assert lock_of(tmp_path / "alias", producer) == lock
    assert lock_of(out / "." / "www" / "..", producer) == lock


def test_the_root_folder_has_no_place_for_a_lock(producer: Producer) -> None:
    with pytest.raises(MailctlError, match="nothing beside it"):
        lock_name(Path("/"), producer.lock)


def test_a_second_writer_on_the_same_folder_is_refused(tmp_path: Path, producer: Producer) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with lock_of(out, producer).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(MailctlError, match=producer.busy):
            producer.write(out, ("a.example",))
    assert list(out.iterdir()) == []
    producer.write(out, ("a.example",))  # released: the next run goes ahead
    assert (out / producer.target).is_file()


def test_unchanged_files_keep_their_bytes_and_mtimes(tmp_path: Path, producer: Producer) -> None:
    producer.write(tmp_path, ("a.example", "b.example"))
    for p in tmp_path.rglob("*"):
        os.utime(p, (OLD, OLD), follow_symlinks=False)
    before = snapshot(tmp_path, producer.lock)
    producer.write(tmp_path, ("a.example", "b.example"))
    assert snapshot(tmp_path, producer.lock) == before


def test_a_file_mailctl_did_not_write_is_never_overwritten(
    tmp_path: Path, producer: Producer
) -> None:
    target = tmp_path / producer.target
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("table inet mine {}\n")
    before = snapshot(tmp_path, producer.lock)
    with pytest.raises(InputError) as caught:
        producer.write(tmp_path, ("a.example",))
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.location.file == str(target)
    assert "was not written by mailctl" in diagnostic.message
    assert "nothing was written" in diagnostic.message
    assert snapshot(tmp_path, producer.lock) == before


def test_a_dangling_link_in_the_way_is_not_overwritten(tmp_path: Path, producer: Producer) -> None:
    target = tmp_path / producer.target
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(tmp_path / "missing-target")
    with pytest.raises(InputError, match="was not written by mailctl"):
        producer.write(tmp_path, ("a.example",))
    assert target.is_symlink()
    assert not (tmp_path / "missing-target").exists()


def test_a_folder_mailctl_cannot_write_into_is_a_clear_error(producer: Producer) -> None:
    with pytest.raises(MailctlError, match="cannot write into this folder"):
        producer.write(Path("/proc/1"), ("a.example",))


# --- lock files -----------------------------------------------------------------------


def test_lock_linked_outside_creates_nothing_there(tmp_path: Path, producer: Producer) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    lock = lock_of(out, producer)
    lock.symlink_to(outside / "created")
    with pytest.raises(InputError) as caught:
        producer.write(out, ("a.example",))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.location.file == str(lock)
    assert diagnostic.message.startswith("is a symbolic link: ")
    assert list(outside.iterdir()) == []
    assert tree(out) == {}
    assert lock.is_symlink()


def test_lock_hard_linked_to_a_file_leaves_it_unchanged(tmp_path: Path, producer: Producer) -> None:
    out, victim = tmp_path / "out", tmp_path / "victim"
    out.mkdir()
    victim.write_bytes(b"precious\n")
    os.link(victim, lock_of(out, producer))
    with pytest.raises(InputError, match="hard link"):
        producer.write(out, ("a.example",))
    assert victim.read_bytes() == b"precious\n"


def test_lock_file_is_created_empty_and_never_written(tmp_path: Path, producer: Producer) -> None:
    out = tmp_path / "out"
    out.mkdir()
    lock = lock_of(out, producer)
    lock.write_bytes(b"left by an earlier run\n")
    producer.write(out, ("a.example",))
    assert lock.read_bytes() == b"left by an earlier run\n"  # opened without O_TRUNC

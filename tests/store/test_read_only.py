"""A SQLite store on read-only media: the readers work, the writers say why they cannot.

The folder is made read-only for real, in a way the kernel enforces for this process:
permissions (0555 folder, 0444 file) for an ordinary user, the immutable attribute
(``chattr +i``) for root, whom permissions do not stop. Each test first proves that the
folder refuses a new file; where neither way is available it is skipped, saying so.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.app.plan import PlanRequest
from reconciler.app.plan import plan as make_plan
from reconciler.cli import main
from reconciler.desired.to_yaml import to_yaml
from reconciler.store.base import StoreError
from reconciler.store.open import open_store
from tests.store.requests import domain, request

DOMAINS = """version: 1
domains:
  example.com:
    imap: {host: imap.example.com, port: 993, security: ssl}
    smtp: {host: smtp.example.com, port: 587, security: starttls}
  new.example:
    imap: {host: imap.new.example}
    smtp: {host: smtp.new.example}
"""


def _make_read_only(folder: Path, file: Path) -> bool:
    if os.geteuid() != 0:
        file.chmod(0o444)
        folder.chmod(0o555)
        return True
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    done = subprocess.run([chattr, "+i", str(file), str(folder)], capture_output=True, check=False)
    return done.returncode == 0


def _make_writable(folder: Path, file: Path) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o755)
        file.chmod(0o644)
    elif chattr := shutil.which("chattr"):
        subprocess.run([chattr, "-i", str(file), str(folder)], capture_output=True, check=False)


def _refuses_new_files(folder: Path) -> bool:
    try:
        (folder / "probe").touch()
    except OSError:
        return True
    (folder / "probe").unlink()
    return False


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[str]:
    """A SQLite store (WAL mode, one apply) in a folder this process cannot write."""
    folder = tmp_path / "media"
    file = folder / "state.db"
    url = f"sqlite:///{file}"
    store = open_store(url)
    try:
        store.apply(request(store.read(), [domain("example.com")]))
    finally:
        store.close()
    assert sorted(p.name for p in folder.iterdir()) == ["state.db"]
    made = _make_read_only(folder, file)
    try:
        if not made or not _refuses_new_files(folder):
            pytest.skip("this machine offers no way to make a folder read-only for this user")
        yield url
    finally:
        _make_writable(folder, file)


def test_readers_work_and_leave_no_trace(read_only_store: str, tmp_path: Path) -> None:
    folder = Path(read_only_store.removeprefix("sqlite:///")).parent
    before = _snapshot(folder)
    desired = tmp_path / "domains.yaml"
    desired.write_text(DOMAINS)
    store = open_store(read_only_store)
    try:
        state = store.read()
        assert list(state.domains) == ["example.com"] and state.serial == 1
        assert [entry.serial for entry in store.history()] == [1]
        assert store.revision(1).domains == state.domains
        assert "example.com:" in to_yaml(state)
        document = make_plan(PlanRequest(desired), store=store).document
        assert (document.summary.create, document.summary.update) == (1, 0)
    finally:
        store.close()
    assert _snapshot(folder) == before  # no lock, WAL or shared-memory file, no write


def test_writers_are_refused_with_a_reason(read_only_store: str) -> None:
    folder = Path(read_only_store.removeprefix("sqlite:///")).parent
    before = _snapshot(folder)
    store = open_store(read_only_store)
    try:
        with pytest.raises(StoreError, match="is read-only here"):
            store.apply(request(store.read(), [domain("example.com"), domain("b.example")]))
        with pytest.raises(StoreError, match="is read-only here"), store.lock("tester", 1):
            pass
        with pytest.raises(StoreError, match="is read-only here"):
            store.connect_inbox("someone@example.com", "example.com")
    finally:
        store.close()
    assert _snapshot(folder) == before


def test_the_commands_read_and_refuse_to_write(
    read_only_store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    desired = tmp_path / "domains.yaml"
    desired.write_text(DOMAINS)
    for argv in (
        ["show"],
        ["history"],
        ["export"],
        ["plan", "--no-checks", "--allow-unchecked", str(desired)],
        ["apply", "--no-checks", "--allow-unchecked", "--auto-approve", str(desired)],
    ):
        with pytest.raises(SystemExit) as ended:
            main([*argv, "--state", read_only_store])
        out = capsys.readouterr()
        if argv[0] == "apply":
            assert ended.value.code == 1
            assert "is read-only here" in out.err
        else:
            assert ended.value.code == 0, out.err
            shows = {"history": "tester", "plan": "create new.example"}
            assert shows.get(argv[0], "example.com:") in out.out


def test_an_immutable_read_is_refused_when_the_file_changed_under_it(tmp_path: Path) -> None:
    # Reached for real only when another user writes the store during this read; the
    # mode is set here so that the file can be changed from the test.
    from reconciler.store.sqlite import SqliteBackend

    path = tmp_path / "state.db"
    path.write_bytes(b"SQLite format 3\0" + bytes(100))
    backend = SqliteBackend(path)
    backend._mode = "immutable"
    with backend.read_guard():
        pass  # unchanged: trusted
    with pytest.raises(StoreError, match="changed while it was read"), backend.read_guard():
        path.write_bytes(path.read_bytes() + bytes(4096))

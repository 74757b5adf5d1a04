"""``lock status`` names the holder and ``lock release`` frees a stuck lock, through the
use case on both backends; the holder is a real separate process (tests/store/child.py).

SQLite's lock is a file lock of a live process, which no other process can take away:
release says whom to stop. PostgreSQL's is a session lock: release ends that session."""

from __future__ import annotations

import re
import socket
import subprocess

import pytest

from reconciler.app.lock import LockNotReleasable, LockRequest, lock_status, release_lock
from reconciler.store.base import StoreError
from reconciler.store.open import open_store
from tests.conftest import Run
from tests.store.lock_holder import holder


def test_a_free_lock_is_shown_free(store_url: str) -> None:
    state = lock_status(LockRequest(store_url))
    assert not state.held
    assert state.holder_id is None and state.actor is None


def test_status_names_the_holder_as_it_recorded_itself(store_url: str, backend: str) -> None:
    with holder(store_url, "alice@ci") as alice:
        state = lock_status(LockRequest(store_url))
    assert state.held
    assert (state.actor, state.pid, state.host) == ("alice@ci", alice.pid, socket.gethostname())
    assert state.since is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", state.since)
    assert state.holder_id is not None
    if backend == "sqlite":
        assert state.holder_id == f"{alice.pid}@{socket.gethostname()}"
        assert state.where.endswith("state.db.lock")
    else:
        assert re.fullmatch(r"pg-backend-\d+", state.holder_id)
        assert "mailctl" in state.where  # the application name of the holder's session


def test_release_refuses_a_holder_that_is_not_the_one_named(store_url: str) -> None:
    with holder(store_url, "alice"):
        with pytest.raises(StoreError, match="not 999@elsewhere; run mailctl lock status"):
            release_lock(LockRequest(store_url), "999@elsewhere")
        assert lock_status(LockRequest(store_url)).held


def test_release_of_a_free_lock_says_there_is_nothing_to_release(store_url: str) -> None:
    with pytest.raises(StoreError, match="not held"):
        release_lock(LockRequest(store_url), "1@host")


def test_sqlite_release_names_the_process_to_stop_and_frees_nothing(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    with holder(url, "alice") as alice:
        held = lock_status(LockRequest(url))
        assert held.holder_id is not None
        with pytest.raises(LockNotReleasable) as refused:
            release_lock(LockRequest(url), held.holder_id)
        assert f"kill {alice.pid}" in str(refused.value)
        assert "no other process can take it away" in str(refused.value)
        assert lock_status(LockRequest(url)).held  # nothing pretended


def test_postgresql_release_ends_the_holders_session_and_the_lock_is_free(
    request: pytest.FixtureRequest,
) -> None:
    url = request.getfixturevalue("pg_cluster").create_database()
    with holder(url, "alice") as alice:
        held = lock_status(LockRequest(url))
        assert held.holder_id is not None
        before = release_lock(LockRequest(url), held.holder_id)
        assert before.actor == "alice"
        assert not lock_status(LockRequest(url)).held
        store = open_store(url)
        try:
            with store.lock("bob", timeout=1.0):  # taken at once, while alice still runs
                assert lock_status(LockRequest(url)).actor == "bob"
        finally:
            store.close()
        assert alice.poll() is None


@pytest.mark.smoke
def test_lock_commands_name_the_holder_and_ask_before_release(
    tmp_path: object, run_mailctl: Run, mailctl_bin: str
) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    with holder(url, "alice@ci") as alice:
        shown = run_mailctl("lock", "status", "--state", url)
        assert shown.returncode == 0, shown.stderr
        assert "held by alice@ci" in shown.stdout
        assert f"process:   {alice.pid} on {socket.gethostname()}" in shown.stdout
        holder_id = f"{alice.pid}@{socket.gethostname()}"
        declined = subprocess.run(
            [mailctl_bin, "lock", "release", "--force", holder_id, "--state", url],
            input="n\n",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert declined.returncode == 1
        assert f"Free the lock held by {holder_id}?" in declined.stderr
        refused = run_mailctl("lock", "release", "--force", holder_id, "--yes", "--state", url)
        assert refused.returncode == 1
        assert f"kill {alice.pid}" in refused.stderr

"""Choosing the store URL and opening it: precedence, defaults, accepted forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.store.base import StoreError
from reconciler.store.open import open_store, resolve_url


def test_the_flag_wins_over_the_environment_which_wins_over_the_default(tmp_path: Path) -> None:
    env = {"MAILCTL_STATE": "postgresql://ci@db.example/mailctl"}
    assert resolve_url("sqlite:////srv/state.db", env, tmp_path) == "sqlite:////srv/state.db"
    assert resolve_url(None, env, tmp_path) == "postgresql://ci@db.example/mailctl"
    assert resolve_url(None, {}, tmp_path) == f"sqlite:///{tmp_path}/.mailctl/state.db"
    assert resolve_url("", {"MAILCTL_STATE": ""}, tmp_path).endswith("/.mailctl/state.db")


def test_a_relative_sqlite_path_is_relative_to_the_working_directory(tmp_path: Path) -> None:
    assert resolve_url("sqlite:///state/s.db", {}, tmp_path) == f"sqlite:///{tmp_path}/state/s.db"


def test_the_default_store_is_not_created_by_opening_or_reading_it(tmp_path: Path) -> None:
    store = open_store(resolve_url(None, {}, tmp_path))
    try:
        assert store.read().serial == 0
        assert store.display_url == f"sqlite:///{tmp_path}/.mailctl/state.db"
    finally:
        store.close()
    assert not (tmp_path / ".mailctl").exists()


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/mailctl",
        "postgresql+psycopg2://u@h/d",
        "postgres://u@h/d",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///state.db?mode=ro",
        "not a url",
    ],
)
def test_other_urls_are_refused_with_the_accepted_forms(url: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"use sqlite:///RELATIVE/PATH, .*postgresql\+psycopg://"):
        resolve_url(url, {}, tmp_path)
    with pytest.raises(StoreError):
        open_store(url)


def test_the_displayed_url_never_holds_the_password() -> None:
    # Nothing listens on port 1; the error must not echo the password either.
    with pytest.raises(StoreError) as failed:
        open_store("postgresql://mailctl:pa55word@127.0.0.1:1/mailctl")
    assert "pa55word" not in str(failed.value)
    assert "postgresql+psycopg://mailctl:***@127.0.0.1:1/mailctl" in str(failed.value)

"""The ``serve`` use case before it starts a server: the bind address, and a store that
holds nothing is an error, not an empty service."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.app.store import NoStore
from reconciler.errors import MailctlError
from reconciler.serve.run import BadBind, ServeOptions, check_store, parse_bind, serve


def test_bind_addresses() -> None:
    assert parse_bind("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_bind("[::1]:80") == ("::1", 80)
    assert parse_bind("localhost:1") == ("localhost", 1)
    for bad in ("8080", ":8080", "127.0.0.1:", "127.0.0.1:0", "h:65536", "h:x"):
        with pytest.raises(BadBind, match="not HOST:PORT"):
            parse_bind(bad)


def test_an_empty_store_is_refused_and_left_uncreated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nothing' / 'state.db'}"
    with pytest.raises(NoStore, match="nothing has been applied"):
        check_store(url)
    with pytest.raises(NoStore):
        serve(ServeOptions(state_url=url, bind="127.0.0.1:9"))
    assert not (tmp_path / "nothing").exists()


def test_bad_options_are_refused_before_anything_starts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with pytest.raises(MailctlError, match="--workers"):
        serve(ServeOptions(state_url=url, workers=0))
    with pytest.raises(BadBind):
        serve(ServeOptions(state_url=url, bind="nowhere"))

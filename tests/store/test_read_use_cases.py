"""The show, history and export use cases called directly: values out, nothing printed;
export writes its file atomically or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.app import inbox, inspect
from reconciler.desired.loader import load
from reconciler.errors import MailctlError
from tests.app_support import seeded
from tests.store.requests import domain


def test_show_returns_the_state_and_the_inboxes_per_domain(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("a.example"), domain("b.example")], ["192.0.2.0/28"])
    inbox.connect(inbox.ConnectOptions("x@a.example", url))
    shown = inspect.show(inspect.ReadOptions(url))
    assert shown.state.serial == 1
    assert sorted(shown.state.domains) == ["a.example", "b.example"]
    assert shown.state.connection_ranges == ("192.0.2.0/28",)
    assert shown.inboxes == {"a.example": 1}
    assert shown.where == url


def test_history_lists_every_apply(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("a.example")])
    entries = inspect.history(inspect.ReadOptions(url)).entries
    assert [(e.serial, e.actor, e.kind) for e in entries] == [(1, "seed", "apply")]


def test_export_gives_a_domains_file_that_loads_as_the_store(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("a.example", static=True)], ["192.0.2.0/28"])
    printed = inspect.export(inspect.ExportOptions(state_url=url))
    assert printed.out is None
    out = tmp_path / "exported.yaml"
    written = inspect.export(inspect.ExportOptions(out, url))
    assert out.read_text() == printed.text == written.text
    loaded = load(out).desired
    assert list(loaded.domains) == ["a.example"]
    assert loaded.connection_ranges == ("192.0.2.0/28",)


def test_an_export_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("a.example")])
    (tmp_path / "a-file").write_text("kept\n")
    with pytest.raises(MailctlError, match="cannot write"):
        inspect.export(inspect.ExportOptions(tmp_path / "a-file" / "x.yaml", url))
    assert (tmp_path / "a-file").read_text() == "kept\n"

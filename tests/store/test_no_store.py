"""Every command that reads what was applied refuses a store nothing was applied to
(a mistyped --state): the same NoStore error, exit 1, no file created beside it, and
no output file written from an empty state. Writing over a file mailctl did not
produce needs force."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.allowlist.formats import FORMATS
from reconciler.app import allowlist, autoconfig, inbox, inspect, planfile
from reconciler.app.apply import ApplyPlanRequest, apply_plan
from reconciler.app.overwrite import exported_by_mailctl, plan_by_mailctl
from reconciler.app.plan import PlanRequest, plan
from reconciler.app.store import NoStore
from reconciler.errors import MailctlError
from tests.app_support import seeded
from tests.store.requests import domain

DOMAINS = (
    "version: 1\ndomains:\n"
    "  a.example:\n    imap: {host: imap.a.example}\n    smtp: {host: smtp.a.example}\n"
)
MINE = "domains:\n  # written by hand, with comments\n  a.example: {}\n"

Reader = Callable[[str, Path], object]

READERS: dict[str, Reader] = {
    "show": lambda url, _: inspect.show(inspect.ReadOptions(url)),
    "history": lambda url, _: inspect.history(inspect.ReadOptions(url)),
    "export": lambda url, out: inspect.export(inspect.ExportOptions(out / "d.yaml", url)),
    "inbox list": lambda url, _: inbox.list_inboxes(inbox.ListOptions(state_url=url)),
    "allowlist": lambda url, out: allowlist.write_allowlists(
        allowlist.AllowlistOptions(out / "fw", (FORMATS["txt"],), state_url=url)
    ),
    "autoconfig export": lambda url, out: autoconfig.export(
        autoconfig.ExportOptions(out / "www", state_url=url)
    ),
}


@pytest.mark.parametrize("command", sorted(READERS))
def test_a_reader_of_a_missing_store_says_so_and_creates_nothing(
    tmp_path: Path, command: str
) -> None:
    typo = tmp_path / "typo.db"
    url = f"sqlite:///{typo}"
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(NoStore) as raised:
        READERS[command](url, out)
    assert str(raised.value).startswith(
        f"no store at {url}: nothing has been applied there yet; check --state / MAILCTL_STATE"
    )
    assert sorted(tmp_path.iterdir()) == [out]  # no typo.db, no lock, no WAL
    assert list(out.iterdir()) == []  # no output written from the empty state


def test_apply_of_a_saved_plan_against_a_missing_store_names_the_store(tmp_path: Path) -> None:
    domains = tmp_path / "domains.yaml"
    domains.write_text(DOMAINS)
    url = seeded(tmp_path, [domain("a.example")])
    saved = tmp_path / "p.json"
    plan(PlanRequest(domains, state_url=url, lifted=frozenset({"checks"}), out=saved))
    typo = tmp_path / "typo.db"
    request = ApplyPlanRequest(
        saved, "test", state_url=f"sqlite:///{typo}", lifted=frozenset({"checks"})
    )
    with pytest.raises(NoStore, match=r"no store at sqlite:///.*typo\.db: nothing has been"):
        apply_plan(request)
    assert not typo.exists()


def test_the_first_apply_of_a_saved_plan_still_creates_the_store(tmp_path: Path) -> None:
    domains = tmp_path / "domains.yaml"
    domains.write_text(DOMAINS)
    url = f"sqlite:///{tmp_path / 'new.db'}"
    saved = tmp_path / "p.json"
    plan(PlanRequest(domains, state_url=url, lifted=frozenset({"checks"}), out=saved))
    applied = apply_plan(
        ApplyPlanRequest(saved, "test", state_url=url, lifted=frozenset({"checks"}))
    )
    assert applied.serial == 1


def test_the_password_of_a_store_url_is_not_shown(tmp_path: Path) -> None:
    from reconciler.app.store import refuse_if_empty
    from reconciler.desired.state import StoredState

    class Remote:
        display_url = "postgresql://mailctl@db.example/mailctl"

    with pytest.raises(NoStore) as raised:
        refuse_if_empty(Remote(), StoredState())  # type: ignore[arg-type]
    assert "postgresql://mailctl@db.example/mailctl" in str(raised.value)


def test_export_never_replaces_a_file_mailctl_did_not_write(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("a.example")])
    mine = tmp_path / "domains.yaml"
    mine.write_text(MINE)
    with pytest.raises(MailctlError, match=r"exists and was not written by mailctl.*--force"):
        inspect.export(inspect.ExportOptions(mine, url))
    assert mine.read_text() == MINE
    forced = inspect.export(inspect.ExportOptions(mine, url, force=True))
    assert mine.read_text() == forced.text
    again = inspect.export(inspect.ExportOptions(mine, url))  # its own file: no force needed
    assert exported_by_mailctl(again.text.encode())
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    inspect.export(inspect.ExportOptions(empty, url))
    assert empty.read_text() == again.text


def test_plan_out_never_replaces_a_file_that_is_no_plan(tmp_path: Path) -> None:
    domains = tmp_path / "domains.yaml"
    domains.write_text(DOMAINS)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    unchecked = frozenset({"checks"})
    with pytest.raises(MailctlError, match=r"domains.yaml exists and was not written by mailctl"):
        plan(PlanRequest(domains, state_url=url, lifted=unchecked, out=domains))
    assert domains.read_text() == DOMAINS
    saved = tmp_path / "p.json"
    plan(PlanRequest(domains, state_url=url, lifted=unchecked, out=saved))
    assert plan_by_mailctl(saved.read_bytes())
    plan(PlanRequest(domains, state_url=url, lifted=unchecked, out=saved))  # its own: replaced
    planfile.read(saved)

"""A rollback that fits Git: export --serial N writes the domains file as applied at
serial N (the revert to commit), the rollback plan says Git must follow, and history
names the serial each rollback restored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.app import inspect
from reconciler.app.apply import ApplyPathRequest, ApplyPlanRequest, apply_path, apply_plan
from reconciler.app.plan import Planned, PlanRequest, plan
from reconciler.app.rollback import RollbackRequest, rollback
from reconciler.errors import MailctlError
from reconciler.render.plan_text import render
from reconciler.store.base import UnknownSerial
from tests.cli_support import mailctl

FIRST = (
    "version: 1\ndomains:\n"
    "  a.example:\n    imap: {host: imap.a.example}\n    smtp: {host: smtp.a.example}\n"
)
SECOND = FIRST.replace("a.example", "b.example")
UNCHECKED = frozenset({"checks"})


class Yes:
    def show(self, planned: Planned) -> None:
        pass

    def confirm(self, where: str) -> bool:
        return True


@pytest.fixture
def two_applies(tmp_path: Path) -> tuple[str, Path]:
    """A store at serial 2 (a.example, then b.example) and its domains file (b.example)."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    domains = tmp_path / "domains.yaml"
    for text in (FIRST, SECOND):
        domains.write_text(text)
        request = ApplyPathRequest(domains, "test", state_url=url, lifted=UNCHECKED)
        assert apply_path(request, Yes()).applied is not None
    return url, domains


def rolled_back(tmp_path: Path, url: str, serial: int) -> None:
    saved = tmp_path / "rollback.json"
    back = rollback(RollbackRequest(serial, state_url=url, lifted=UNCHECKED, out=saved))
    assert back.document.has_changes()
    apply_plan(ApplyPlanRequest(saved, "test", state_url=url, lifted=UNCHECKED))


def test_export_serial_writes_the_file_as_applied_then(
    tmp_path: Path, two_applies: tuple[str, Path]
) -> None:
    url, domains = two_applies
    # The domains file was written by hand, so writing the revert over it needs force.
    with pytest.raises(MailctlError, match="not written by mailctl"):
        inspect.export(inspect.ExportOptions(domains, url, serial=1))
    assert domains.read_text() == SECOND
    exported = inspect.export(inspect.ExportOptions(domains, url, serial=1, force=True))
    assert domains.read_text() == exported.text
    assert "a.example:" in exported.text and "b.example" not in exported.text
    assert "at serial 1." in exported.text.splitlines()[1]
    # The revert to commit: after the rollback, planning it shows no changes.
    rolled_back(tmp_path, url, 1)
    again = plan(PlanRequest(domains, state_url=url, lifted=UNCHECKED))
    assert not again.document.has_changes()
    # Without --serial the export is the current state, which is serial 1's again.
    assert "a.example:" in inspect.export(inspect.ExportOptions(state_url=url)).text


def test_an_unknown_serial_is_an_error_and_writes_nothing(
    tmp_path: Path, two_applies: tuple[str, Path]
) -> None:
    url, _ = two_applies
    out = tmp_path / "kept.yaml"
    for serial in (3, 2**40):
        with pytest.raises(UnknownSerial, match=f"has no revision {serial}; mailctl history"):
            inspect.export(inspect.ExportOptions(out, url, serial=serial))
    assert not out.exists()
    assert issubclass(UnknownSerial, MailctlError)  # the error boundary's exit 1


def test_the_rollback_plan_says_git_must_follow(
    tmp_path: Path, two_applies: tuple[str, Path]
) -> None:
    url, _ = two_applies
    back = rollback(RollbackRequest(1, state_url=url, lifted=UNCHECKED))
    text = render(back.document, colour=False)
    assert "Git must follow" in text
    assert "  mailctl export --serial 1 --out domains.yaml\n" in text
    ordinary = plan(PlanRequest(two_applies[1], state_url=url, lifted=UNCHECKED))
    assert "Git must follow" not in render(ordinary.document, colour=False)


def test_history_names_the_serial_a_rollback_restored(
    tmp_path: Path, two_applies: tuple[str, Path]
) -> None:
    url, _ = two_applies
    rolled_back(tmp_path, url, 1)
    entries = inspect.history(inspect.ReadOptions(url)).entries
    assert [(e.serial, e.kind, e.restored_serial) for e in entries] == [
        (1, "apply", None),
        (2, "apply", None),
        (3, "rollback", 1),
    ]
    assert entries[2].summary == {
        "create": 1,
        "update": 0,
        "delete": 1,
        "ranges_added": 0,
        "ranges_removed": 0,
    }
    as_json = json.loads(mailctl("history", "--format", "json", "--state", url).stdout)["entries"]
    assert [e["restored_serial"] for e in as_json] == [None, None, 1]
    lines = mailctl("history", "--state", url).stdout.splitlines()
    assert lines[2].endswith("restored serial 1") and "restored" not in lines[1]

"""Every ``--format json`` output, in-process on a SQLite store: a ``format_version`` and
a ``summary``; a failure is still a JSON document on standard output, with the exit code
of the failure; ``check``, ``show`` and ``history`` agree with their published schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.app import inbox
from tests.app_support import seeded
from tests.cli_support import mailctl
from tests.json_support import closed_port, schema
from tests.store.requests import domain

GOOD = """\
version: 1
domains:
  a.example:
    imap: {host: imap.a.example}
    smtp: {host: smtp.a.example, port: 587, security: starttls}
"""
BROKEN = GOOD.replace("port: 587", "port: 0")


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, str]:
    """A folder with a good, an empty and a broken domains file, and a SQLite store
    (serial 1) holding the good file's domain with one inbox."""
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "empty.yaml").write_text("version: 1\ndomains: {}\n")
    (tmp_path / "broken.yaml").write_text(BROKEN)
    url = seeded(tmp_path, [domain("a.example")])
    inbox.connect(inbox.ConnectOptions("x@a.example", url))
    return tmp_path, url


def printed(folder: Path, *argv: str, code: int = 0) -> dict[str, Any]:
    ran = mailctl(*argv, "--format", "json", cwd=folder)
    assert ran.returncode == code, ran.stdout + ran.stderr
    document: dict[str, Any] = json.loads(ran.stdout)
    return document


def offline_plan(folder: Path, url: str) -> Path:
    out = folder / "plan.json"
    argv = ("plan", "good.yaml", "--no-checks", "--allow-unchecked", "--state", url)
    assert mailctl(*argv, "--out", str(out), cwd=folder).returncode == 0
    return out


def test_every_json_output_has_a_version_and_a_summary(project: tuple[Path, str]) -> None:
    folder, url = project
    offline = ("--no-checks", "--allow-unchecked")
    commands: list[tuple[str, ...]] = [
        ("validate", "good.yaml"),
        ("check", "empty.yaml"),
        ("plan", "good.yaml", *offline, "--state", url),
        ("show", str(offline_plan(folder, url))),
        ("show", "--state", url),
        ("history", "--state", url),
        ("rollback", "--to", "1", *offline, "--state", url),
        ("inbox", "list", "--state", url),
        ("inbox", "list", "--domain", "a.example", "--state", url),
        ("inbox", "connect", "y@a.example", "--state", url),
        ("lock", "status", "--state", url),
    ]
    for argv in commands:
        document = printed(folder, *argv)
        assert type(document["format_version"]) is int, argv
        assert isinstance(document["summary"], dict), argv


def test_inbox_and_lock_documents_count_what_they_list(project: tuple[Path, str]) -> None:
    folder, url = project
    listed = printed(folder, "inbox", "list", "--state", url)
    assert listed["summary"] == {"inboxes": 1, "not_configured": 0}
    assert [i["address"] for i in listed["inboxes"]] == ["x@a.example"]
    again = printed(folder, "inbox", "connect", "x@a.example", "--state", url)
    assert again["summary"] == {"connected": 0, "already_connected": 1}
    assert printed(folder, "lock", "status", "--state", url)["summary"] == {"held": False}


def test_check_output_matches_its_schema(project: tuple[Path, str]) -> None:
    folder, _ = project
    port = closed_port()
    (folder / "closed.yaml").write_text(
        "version: 1\ndomains:\n  a.example:\n"
        f"    imap: {{host: 127.0.0.1, port: {port}}}\n"
        f"    smtp: {{host: 127.0.0.1, port: {port}, security: starttls}}\n"
    )
    failed = printed(folder, "check", "closed.yaml", "--allow-private-targets", code=3)
    assert failed["summary"] == {"endpoints": 2, "passed": 0, "failed": 2}
    nothing = printed(folder, "check", "empty.yaml")
    broken = printed(folder, "check", "broken.yaml", code=1)
    missing = printed(folder, "check", "nothere.yaml", code=1)
    assert missing["diagnostics"][0]["line"] is None
    for document in (failed, nothing, broken, missing):
        schema("check").validate(document)
    assert not schema("check").is_valid({**nothing, "summary": None})


def test_show_output_matches_its_schema(project: tuple[Path, str]) -> None:
    folder, url = project
    shown = printed(folder, "show", "--state", url)
    assert shown["domains"]["a.example"]["inboxes"] == 1
    empty = printed(folder, "show", "--state", seeded(folder / "empty", []))
    none = folder / "none.db"
    missing = printed(folder, "show", "--state", f"sqlite:///{none}", code=1)
    assert missing["summary"] == {"errors": 1, "warnings": 0}
    assert "no store at" in missing["diagnostics"][0]["message"]
    assert not none.exists()
    for document in (shown, empty, missing):
        schema("show").validate(document)


def test_history_output_matches_its_schema(project: tuple[Path, str]) -> None:
    folder, url = project
    # A second domain (serial 2), then a rollback to serial 1 (serial 3).
    (folder / "two.yaml").write_text(GOOD + GOOD.split("domains:\n")[1].replace("a.", "b."))
    offline = ("--no-checks", "--allow-unchecked", "--state", url)
    assert mailctl("apply", "two.yaml", "--auto-approve", *offline, cwd=folder).returncode == 0
    plan = folder / "rollback.json"
    rollback = ("rollback", "--to", "1", "--no-checks", "--allow-unchecked", "--out", str(plan))
    assert mailctl(*rollback, "--state", url, cwd=folder).returncode == 0
    applied = mailctl("apply", str(plan), "--allow-unchecked", "--state", url, cwd=folder)
    assert applied.returncode == 0, applied.stderr
    history = printed(folder, "history", "--state", url)
    assert history["summary"] == {"entries": 3, "rollbacks": 1, "latest_serial": 3}
    assert history["entries"][-1]["restored_serial"] == 1
    first = printed(folder, "history", "--state", seeded(folder / "empty", []))
    missing = printed(folder, "history", "--state", f"sqlite:///{folder / 'none.db'}", code=1)
    for document in (history, first, missing):
        schema("history").validate(document)


def test_a_failure_after_parsing_is_json_on_stdout_with_its_exit_code(
    project: tuple[Path, str],
) -> None:
    folder, url = project
    # A usage error found by the command itself: exit 1, usage on standard error.
    plan = offline_plan(folder, url)
    usage = mailctl("show", str(plan), "--state", url, "--format", "json", cwd=folder)
    assert usage.returncode == 1
    [item] = json.loads(usage.stdout)["diagnostics"]
    assert item["message"] == "--state reads the store; a saved plan is shown from its file"
    assert (item["file"], item["line"], item["column"], item["hint"]) == (None,) * 4
    assert "Usage: mailctl show" in usage.stderr
    # Without --format json it is click's usage error, as before.
    text = mailctl("show", str(plan), "--state", url, cwd=folder)
    assert (text.returncode, text.stdout) == (1, "")
    # Errors that are no input error keep their message on standard error too.
    unknown = mailctl("rollback", "--to", "9", "--state", url, "--format", "json", cwd=folder)
    assert unknown.returncode == 1
    assert json.loads(unknown.stdout)["ok"] is False
    assert unknown.stderr.startswith("mailctl: error: ")
    none = f"sqlite:///{folder / 'none.db'}"
    listed = mailctl("inbox", "list", "--state", none, "--format", "json", cwd=folder)
    assert listed.returncode == 1
    assert json.loads(listed.stdout)["summary"] == {"errors": 1, "warnings": 0}


@pytest.mark.parametrize("name", ["check", "show", "history"])
def test_the_output_schemas_are_valid_draft_2020_12(name: str) -> None:
    published = schema(name).schema
    jsonschema.Draft202012Validator.check_schema(published)
    assert published["$id"] == f"https://mailctl.dev/schemas/{name}.schema.json"

"""The JSON documents for tools, built from what the use cases return: a
``format_version`` and a ``summary`` always, ``null`` for what is not known."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from reconciler.app import inbox, inspect
from reconciler.app.check import CheckRequest, check
from reconciler.app.options import CheckOptions
from reconciler.errors import Diagnostic, Location, Severity
from reconciler.render import ci_report, diagnostics, json_output
from tests.app_support import seeded
from tests.json_support import closed_port
from tests.store.requests import domain


def test_what_is_not_known_is_null_never_zero_or_empty() -> None:
    unlocated = diagnostics.as_dict(Diagnostic(Location(""), "no store at sqlite:///x.db"))
    assert (unlocated["file"], unlocated["line"], unlocated["column"]) == (None, None, None)
    assert unlocated["hint"] is None
    file_only = diagnostics.as_dict(Diagnostic(Location("d.yaml"), "no such file or folder"))
    assert (file_only["file"], file_only["line"], file_only["column"]) == ("d.yaml", None, None)
    located = Diagnostic(Location("d.yaml", 3, 7), "bad port", "use 993", Severity.WARNING)
    assert diagnostics.as_dict(located) == {
        "severity": "warning",
        "file": "d.yaml",
        "line": 3,
        "column": 7,
        "message": "bad port",
        "hint": "use 993",
    }


def test_the_diagnostics_document_always_has_its_summary() -> None:
    failed = json.loads(
        diagnostics.as_json([Diagnostic(Location("d.yaml", 1, 1), "bad")], ok=False, path=None)
    )
    assert failed["format_version"] == 1
    assert failed["summary"] == {"errors": 1, "warnings": 0}
    assert failed["path"] is None
    clean = json.loads(diagnostics.as_json([], ok=True, path="d.yaml", summary={"domains": 2}))
    assert clean["summary"] == {"domains": 2, "errors": 0, "warnings": 0}


def test_a_check_of_nothing_still_has_a_version_and_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text("version: 1\ndomains: {}\n")
    document = json_output.check_document(check(CheckRequest(path)).evidence)
    printed = json.loads(json_output.as_json(document))
    assert printed["format_version"] == 1
    assert printed["summary"] == {"endpoints": 0, "passed": 0, "failed": 0}
    assert printed["endpoints"] == []


def test_a_failed_check_counts_its_endpoints(tmp_path: Path) -> None:
    port = closed_port()
    path = tmp_path / "domains.yaml"
    path.write_text(
        "version: 1\ndomains:\n  a.example:\n"
        f"    imap: {{host: 127.0.0.1, port: {port}, security: ssl}}\n"
        f"    smtp: {{host: 127.0.0.1, port: {port}, security: starttls}}\n"
    )
    checked = check(CheckRequest(path, checks=CheckOptions(allow_private=True, deadline=10)))
    printed = json.loads(json_output.as_json(json_output.check_document(checked.evidence)))
    assert printed["summary"] == {"endpoints": 2, "passed": 0, "failed": 2}
    assert printed["status"] == "failed"


def test_show_counts_domains_ranges_and_inboxes(tmp_path: Path) -> None:
    url = seeded(
        tmp_path, [domain("a.example", static=True), domain("b.example")], ["192.0.2.0/28"]
    )
    inbox.connect(inbox.ConnectOptions("x@a.example", url))
    shown = inspect.show(inspect.ReadOptions(url))
    printed = json.loads(json_output.as_json(json_output.show_document(shown.state, shown.inboxes)))
    assert printed["format_version"] == 1
    assert printed["summary"] == {
        "domains": 2,
        "static_ip_domains": 1,
        "connection_ranges": 1,
        "inboxes": 1,
    }
    a = printed["domains"]["a.example"]
    assert (a["imap.host"], a["inboxes"], a["credentials.username_env"]) == (
        "imap.a.example",
        1,
        None,
    )


def test_an_empty_stored_state_has_a_summary_of_zeros(tmp_path: Path) -> None:
    shown = inspect.show(inspect.ReadOptions(seeded(tmp_path, [])))
    printed = json.loads(json_output.as_json(json_output.show_document(shown.state, shown.inboxes)))
    assert printed["summary"] == {
        "domains": 0,
        "static_ip_domains": 0,
        "connection_ranges": 0,
        "inboxes": 0,
    }
    assert printed["domains"] == {}


def test_history_is_an_object_with_its_summary(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("a.example")])
    entries = inspect.history(inspect.ReadOptions(url)).entries
    document = json_output.history_document(asdict(e) for e in entries)
    printed = json.loads(json_output.as_json(document))
    assert printed["format_version"] == 1
    assert printed["summary"] == {"entries": 1, "rollbacks": 0, "latest_serial": 1}
    [entry] = printed["entries"]
    assert (entry["serial"], entry["kind"], entry["restored_serial"]) == (1, "apply", None)
    assert json_output.history_document([]).summary.latest_serial is None


def test_the_pull_request_comment_leaves_out_what_is_not_known() -> None:
    items = [
        Diagnostic(Location("d.yaml", 4, 40), "bad port", "use 993"),
        Diagnostic(Location("d.yaml"), "no such file or folder"),
        Diagnostic(Location(""), "MAILCTL_CREDENTIAL_ENV is malformed"),
    ]
    document = json.loads(diagnostics.as_json(items, ok=False, path="d.yaml"))
    table = ci_report.diagnostics_table(document["diagnostics"])
    assert "<code>d.yaml:4:40</code> | bad port | use 993 |" in table
    assert "<code>d.yaml</code> | no such file or folder |  |" in table
    assert "<code>(no file)</code> | MAILCTL_CREDENTIAL_ENV" in table
    assert "None" not in table and ":0:0" not in table

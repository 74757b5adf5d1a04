"""decide() of audit-issues.cjs, the whole decision of which issue to open, edit, comment
on or close after an audit, run under Node on reports shaped like ``mailctl audit
--format json`` and issues shaped like the REST API's list; and the escaping of what
servers supplied, checked on the HTML a Markdown renderer makes of an issue body."""

from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser
from typing import Any

import pytest
from markdown_it import MarkdownIt

from tests.github.audit_support import (
    BOT,
    LABEL,
    decide,
    domain_of,
    failing,
    fixture,
    healthy,
    issue,
    js,
    kinds,
    report_of,
    unreachable,
)
from tests.github.conftest import SCRIPTS, node


def opened(report: dict[str, Any], number: int = 7, **options: Any) -> list[dict[str, Any]]:
    """The issues as they stand after the first audit created them (numbered from
    ``number``), as the API lists them."""
    created = [a for a in decide(report, [], **options) if a["kind"] == "create"]
    return [issue(number + i, BOT, a["body"]) for i, a in enumerate(created)]


def test_a_failing_domain_gets_one_issue_and_warnings_none() -> None:
    (create,) = decide(fixture(), [])
    assert create["kind"] == "create" and create["domain"] == "a.example"
    assert create["title"] == "mailctl audit: a.example is failing"
    assert create["labels"] == [LABEL]
    lines = create["body"].splitlines()
    assert lines[0] == "<!-- mailctl-audit:a.example -->"
    assert lines[1].startswith("<!-- mailctl-audit-state:")
    assert "1 failure and 1 warning" in create["body"]
    assert "connection refused" in create["body"] and "expires in 12 days" in create["body"]


def test_strict_opens_issues_for_warning_only_domains_too() -> None:
    assert kinds(decide(fixture(), [], strict=True)) == [
        ("create", "a.example", None),
        ("create", "b.example", None),
    ]


def test_the_same_evidence_again_changes_nothing() -> None:
    report = fixture()
    assert decide(report, opened(report)) == []
    later = {**report, "audited_at": "2026-11-30T18:00:00Z"}  # only the time moved on
    assert decide(later, opened(report)) == []


def test_new_evidence_for_the_same_findings_edits_the_body_without_a_comment() -> None:
    report = fixture()
    issues = opened(report)
    changed = fixture()
    domain_of(changed, "a.example")["findings"][1]["message"] = "expires in 11 days"
    (update,) = decide(changed, issues)
    assert (update["kind"], update["number"]) == ("update", 7)
    assert "expires in 11 days" in update["body"]


def test_changed_findings_edit_the_body_and_say_so_in_one_comment() -> None:
    report = fixture()
    issues = opened(report)
    changed = fixture()
    findings = domain_of(changed, "a.example")["findings"]
    findings[0] = {**findings[0], "kind": "check_failed", "failed_step": "tls"}
    update, comment = decide(changed, issues)
    assert kinds([update, comment]) == [("update", "a.example", 7), ("comment", "a.example", 7)]
    assert (
        "New:\n- IMAP <code>imap.a.example:993</code>: <code>check&#95;failed</code>"
        in (comment["body"])
    )
    assert (
        "No longer found:\n- IMAP <code>imap.a.example:993</code>: <code>unreachable</code>"
        in (comment["body"])
    )


def test_an_issue_whose_state_line_was_edited_away_is_rewritten_and_commented() -> None:
    report = fixture()
    (ours,) = opened(report)
    ours["body"] = ours["body"].replace("mailctl-audit-state:", "edited:")
    assert kinds(decide(report, [ours])) == [
        ("update", "a.example", 7),
        ("comment", "a.example", 7),
    ]


def test_a_healed_domain_s_issue_is_closed_with_a_comment() -> None:
    report = fixture()
    issues = opened(report, strict=True)  # 7: a.example, 8: b.example
    healed = report_of(healthy("a.example"), domain_of(report, "b.example"), healthy("c.example"))
    close_a, close_b = decide(healed, issues)
    assert (close_a["kind"], close_a["number"], close_a["reason"]) == ("close", 7, "healed")
    assert "passes every check in the audit of" in close_a["body"]
    # Not strict any more: b.example's warnings no longer hold its issue open.
    assert (close_b["kind"], close_b["number"], close_b["reason"]) == ("close", 8, "healed")
    assert "still has 1 warning" in close_b["body"]
    assert decide(healed, issues, strict=True) == [close_a]


def test_a_domain_removed_from_the_store_has_its_issue_closed_saying_so() -> None:
    report = fixture()
    issues = opened(report)
    removed = report_of(domain_of(report, "b.example"), healthy("c.example"))
    (close,) = decide(removed, issues)
    assert (close["kind"], close["number"], close["reason"]) == ("close", 7, "removed")
    assert close["body"] == (
        "<code>a.example</code> is no longer in the store (store serial 12) as of the audit "
        "of <code>2026-11-30T12:00:00Z</code>: closing.\n"
    )
    # An audit of some domains only (--domain) says nothing about the others.
    assert decide(removed, issues, closeMissing=False) == []


def test_issues_that_are_not_ours_are_never_touched() -> None:
    report = report_of(failing("a.example", unreachable("imap.a.example")), healthy("b.example"))
    (ours,) = opened(report)
    body_a = ours["body"]
    body_b = body_a.replace("a.example", "b.example")
    pull = {**issue(3, BOT, body_b), "pull_request": {"url": "x"}}
    others = [
        issue(1, "ada", body_a),  # a person pasted our marker: not ours
        issue(2, "ada", body_b),  # b.example healed, but a person's issue stays open
        pull,  # a pull request, listed by the issues API too
        issue(4, BOT, body_b, labels=("bug",)),  # the bot's, without the label
        issue(5, BOT, "> " + body_b),  # quoted: the marker is not the first line
        issue(6, "mail-bot", body_b),  # another account
    ]
    assert kinds(decide(report, others)) == [("create", "a.example", None)]
    assert kinds(decide(report, [*others, ours])) == []


def test_of_two_issues_for_one_domain_the_oldest_is_kept() -> None:
    report = fixture()
    (ours,) = opened(report)
    newer, older = {**ours, "number": 30}, {**ours, "number": 9, "body": "x\n" + ours["body"]}
    older["body"] = older["body"].split("\n", 1)[1].replace("mailctl-audit-state", "gone")
    assert kinds(decide(report, [newer, older])) == [
        ("update", "a.example", 9),
        ("comment", "a.example", 9),
    ]


def test_another_label_and_author() -> None:
    report = fixture()
    (create,) = decide(report, [], label="mail-alerts", author="mail-bot")
    assert create["labels"] == ["mail-alerts"]
    ours = issue(4, "mail-bot", create["body"], labels=("mail-alerts",))
    assert decide(report, [ours], label="mail-alerts", author="mail-bot") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format_version": 2}, "format_version 2, not 1"),
        ({"domains": None}, "no domains list"),
        ({"domains": [failing("a.example -->\n@ada")]}, "is not an A-label"),
        ({"domains": [failing("A.EXAMPLE")]}, "is not an A-label"),
        ({"domains": [healthy("a.example"), healthy("a.example")]}, "listed twice"),
        ({"domains": [{**healthy("a.example"), "verdict": "bad"}]}, 'verdict "bad"'),
        ({"domains": [failing("a.example", {"endpoint": "imap"})]}, "a finding lacks"),
    ],
)
def test_what_is_not_an_audit_report_is_refused(change: dict[str, Any], message: str) -> None:
    program = (
        "const m = require(process.argv[1]);m.readReport(require('fs').readFileSync(0, 'utf8'));"
    )
    result = subprocess.run(
        [node(), "-e", program, str(SCRIPTS / "audit-issues.cjs")],
        input=json.dumps({**fixture(), **change}),
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode != 0
    assert "the audit report is not mailctl audit --format json output" in result.stderr
    assert message in result.stderr


HOSTILE = (
    "@ada <img src=x onerror=alert(1)> [click](https://evil.example) | cell `code` "
    "**bold** #12 <!-- -->\nsecond line \\| $x$ ~~s~~"
)
ALLOWED = {"h2", "h3", "p", "table", "thead", "tbody", "tr", "th", "td", "code", "sub", "a"}


class Html(HTMLParser):
    """The tags of rendered HTML, and every text outside <code>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str | None] = []
        self.depth = 0
        self.outside: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.depth += tag == "code"
        if tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "code"

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.outside.append(data)

    def handle_comment(self, data: str) -> None:
        self.tags.append("<!--")


def test_what_servers_supplied_is_text_in_code_never_markdown_html_or_a_mention() -> None:
    finding = {
        **unreachable("imap.a.example"),
        "message": HOSTILE,
        "failed_step": "@bob",
        "certificate": {"sha256": "<b>x</b>", "not_after": "@carol"},
    }
    hostile = {**failing("a.example", finding), "domain_unicode": "<i>@dave</i>"}
    (create,) = decide(report_of(hostile, at="@erin"), [], runUrl="https://github.com/a/b/run")
    html = MarkdownIt("commonmark").enable("table").render(create["body"])
    parsed = Html()
    parsed.feed(html)
    # The marker and state lines are our HTML comments; nothing else is anything but
    # our own tags, and the one link is the workflow run's.
    assert parsed.tags.count("<!--") == 2
    assert set(parsed.tags) - {"<!--"} <= ALLOWED, parsed.tags
    assert parsed.links == ["https://github.com/a/b/run"]
    outside = "".join(parsed.outside)
    assert "@" not in outside and "#12" not in outside and "<" not in outside
    row = [line for line in create["body"].splitlines() if line.startswith("| IMAP")]
    assert len(row) == 1 and row[0].count("|") == 8  # seven cells: no pipe split a cell
    assert "\ufffdsecond line" in create["body"]  # the newline did not end the row
    for text in ("@ada", "@bob", "@carol", "@dave", "@erin", "<img src=x", "[click]"):
        assert text in html.replace("&lt;", "<").replace("&gt;", ">"), text


def test_escape_matches_mailctl_s_markdown_escaping() -> None:
    from reconciler.render.markdown import escape

    text = "a<b>&c|d`e*f~g[h]i$j\\k"
    assert js("escape", text) == escape(text)
    assert js("escape", "@ada #1 x_y") == "&#64;ada &#35;1 x&#95;y"


def test_the_job_summary_shows_every_domain_that_is_not_ok() -> None:
    program = (
        "const m = require(process.argv[1]);"
        "process.stdout.write(m.summary(m.readReport(require('fs').readFileSync(0, 'utf8'))));"
    )
    result = subprocess.run(
        [node(), "-e", program, str(SCRIPTS / "audit-issues.cjs")],
        input=json.dumps(fixture()),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "## mailctl audit: 1 failing, 1 warning, 1 ok"
    assert lines[2] == "3 domains (6 endpoints) audited at <code>2026-11-30T12:00:00Z</code>."
    headings = [line for line in lines if line.startswith("### ")]
    assert headings == [
        "### <code>a.example</code>: failing",
        "### <code>b.example</code>: warning",
    ]


def test_a_long_message_is_clipped_in_the_table_but_counts_as_evidence() -> None:
    long = "x" * 5000
    (create,) = decide(
        report_of(failing("a.example", unreachable("i.a.example", message=long))), []
    )
    assert "x" * 499 + "…</code>" in create["body"] and "x" * 500 not in create["body"]
    shorter = report_of(failing("a.example", unreachable("i.a.example", message=long[:-1])))
    (update,) = decide(shorter, [issue(3, BOT, create["body"])])
    assert update["kind"] == "update"


def test_the_job_summary_shows_a_hundred_domains_and_counts_the_rest() -> None:
    names = [f"d{n:03}.example" for n in range(130)]
    report = report_of(*(failing(name, unreachable(f"imap.{name}")) for name in names))
    text = js("summary", report)
    assert text.count("\n### ") == 100
    assert "### <code>d099.example</code>: failing" in text
    assert text.endswith("\n30 more domains not ok: see audit.json in the artifact.\n")

"""audit-keeper.cjs end to end under Node, against a recording stand-in for GitHub's
REST API on 127.0.0.1: the issue lifecycle over four audits, a person's issue left
alone, more open issues than one page holds, and the runs that must change nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.github.audit_support import (
    BOT,
    LABEL,
    TOKEN,
    Keeper,
    decide,
    domain_of,
    failing,
    fixture,
    healthy,
    report_of,
    unreachable,
)
from tests.github.conftest import SCRIPTS, node
from tests.github.github_standin import OWNER, REPO, StandIn

ISSUES = f"/repos/{OWNER}/{REPO}/issues"


def human_issue(github: StandIn) -> int:
    """b.example's issue, opened by a person who pasted the marker and label: never ours."""
    body = "<!-- mailctl-audit:b.example -->\nb.example's IMAP server is flaky, @ada knows\n"
    return github.add_issue("ada", "b.example is flaky", body, [LABEL])


def test_the_issue_lifecycle_open_keep_update_close(keeper: Keeper, github: StandIn) -> None:
    human = human_issue(github)
    audit1 = report_of(failing("a.example", unreachable("imap.a.example")), healthy("b.example"))

    # 1: a.example fails: one issue, labelled, opened by the bot.
    ran = keeper(audit1)
    assert ran.returncode == 0, ran.stderr
    ((method, path, created),) = github.writes()
    assert (method, path) == ("POST", ISSUES)
    assert created["title"] == "mailctl audit: a.example is failing"
    assert created["labels"] == [LABEL]
    assert created["body"].startswith("<!-- mailctl-audit:a.example -->\n")
    (number,) = [n for n in github.issues if n != human]
    assert github.issues[number]["user"]["login"] == BOT
    assert json.loads(ran.stdout) == [{"kind": "create", "domain": "a.example", "number": number}]
    summary = keeper.summary.read_text()
    assert summary.startswith("## mailctl audit: 1 failing, 0 warning, 1 ok\n")
    assert summary.endswith(f"Issues:\n\n- opened #{number} (<code>a.example</code>)\n")
    assert (github.requests[0].method, github.requests[0].path, github.requests[0].query) == (
        "GET",
        ISSUES,
        {"state": "open", "labels": LABEL, "per_page": "100"},
    )

    # 2: the same evidence six hours later: no new issue, no comment, no edit.
    audit2 = {**audit1, "audited_at": "2026-11-30T18:00:00Z"}
    ran = keeper(audit2)
    assert ran.returncode == 0, ran.stderr
    assert github.writes() == []
    assert keeper.summary.read_text().endswith("Issues: nothing to change.\n")

    # 3: other evidence: the server now answers but its certificate check fails.
    finding = {**unreachable("imap.a.example"), "kind": "check_failed", "failed_step": "tls"}
    finding["message"] = "imap.a.example:993: certificate verify failed"
    audit3 = report_of(
        failing("a.example", finding), healthy("b.example"), at="2026-12-01T00:00:00Z"
    )
    ran = keeper(audit3)
    assert ran.returncode == 0, ran.stderr
    (edit, comment) = github.writes()
    assert edit[:2] == ("PATCH", f"{ISSUES}/{number}") and set(edit[2]) == {"body"}
    assert "certificate verify failed" in github.issues[number]["body"]
    assert comment[:2] == ("POST", f"{ISSUES}/{number}/comments")
    assert "New:\n- IMAP" in comment[2]["body"] and "No longer found:" in comment[2]["body"]

    # 4: healed: closed, with a comment saying so.
    audit4 = report_of(healthy("a.example"), healthy("b.example"), at="2026-12-01T06:00:00Z")
    ran = keeper(audit4)
    assert ran.returncode == 0, ran.stderr
    (said, closed) = github.writes()
    assert said[:2] == ("POST", f"{ISSUES}/{number}/comments")
    assert said[2]["body"].startswith("<code>a.example</code> passes every check in the audit")
    assert closed == (
        "PATCH",
        f"{ISSUES}/{number}",
        {"state": "closed", "state_reason": "completed"},
    )
    assert github.issues[number]["state"] == "closed"

    # b.example healthy all along: the person's issue carrying the marker was never touched.
    assert github.issues[human]["state"] == "open"
    assert all(c["issue"] == number for c in github.comments)
    assert len(github.comments) == 2

    # 5: a.example fails again: its closed issue stays closed, a new one is opened.
    ran = keeper(audit1)
    ((method, path, _),) = github.writes()
    assert (method, path) == ("POST", ISSUES)


def test_a_domain_removed_from_the_store_is_closed_unless_only_some_were_audited(
    keeper: Keeper, github: StandIn
) -> None:
    assert keeper(fixture()).returncode == 0
    (number,) = github.issues
    without_a = report_of(domain_of(fixture(), "b.example"))
    ran = keeper(without_a, MAILCTL_AUDIT_PARTIAL="true")
    assert ran.returncode == 0, ran.stderr
    assert github.writes() == []
    ran = keeper(without_a)
    assert ran.returncode == 0, ran.stderr
    (said, closed) = github.writes()
    assert said[:2] == ("POST", f"{ISSUES}/{number}/comments")
    assert "is no longer in the store (store serial 12)" in said[2]["body"]
    assert closed[:2] == ("PATCH", f"{ISSUES}/{number}")
    assert closed[2] == {"state": "closed", "state_reason": "not_planned"}


def test_strict_opens_issues_for_warnings(keeper: Keeper, github: StandIn) -> None:
    assert keeper(fixture(), MAILCTL_AUDIT_STRICT="true").returncode == 0
    titles = sorted(issue["title"] for issue in github.issues.values())
    assert titles == ["mailctl audit: a.example is failing", "mailctl audit: b.example is failing"]


def test_every_page_of_open_issues_is_read(keeper: Keeper, github: StandIn) -> None:
    github.page_cap = 30  # 150 issues: five pages, followed through the Link header
    names = [f"d{n:03}.example" for n in range(150)]
    report = report_of(*(failing(name, unreachable(f"imap.{name}")) for name in names))
    ran = keeper(report)
    assert ran.returncode == 0, ran.stderr
    assert len(github.issues) == 150
    # The same report again: every issue is found, so nothing is opened twice.
    ran = keeper(report)
    assert ran.returncode == 0, ran.stderr
    assert github.writes() == []
    assert [r.query.get("page", "1") for r in github.requests] == ["1", "2", "3", "4", "5"]
    # The oldest issue is listed last (newest first): it is found and closed when healed.
    healed = report_of(healthy(names[0]), *(domain_of(report, n) for n in names[1:]))
    ran = keeper(healed)
    assert ran.returncode == 0, ran.stderr
    assert [w[:2] for w in github.writes()] == [
        ("POST", f"{ISSUES}/1/comments"),
        ("PATCH", f"{ISSUES}/1"),
    ]


@pytest.mark.parametrize(
    "report",
    [None, "", '{"format_version": 1, "audited_at": "2026-11-30T12:00:00Z", "domains": [', "null"],
    ids=["no-file", "empty", "cut-short", "null"],
)
def test_without_a_report_no_issue_is_touched_and_the_run_fails(
    keeper: Keeper, github: StandIn, report: str | None
) -> None:
    keeper(fixture())  # an issue for a.example is open
    ran = keeper(report)
    assert ran.returncode == 1
    assert "mailctl audit issues:" in ran.stderr
    assert github.requests == []  # not even the list: nothing was decided
    assert [i["state"] for i in github.issues.values()] == ["open"]


def test_the_summary_only_when_issues_are_off(keeper: Keeper, github: StandIn) -> None:
    ran = keeper(fixture(), MAILCTL_AUDIT_ISSUES="false")
    assert ran.returncode == 0, ran.stderr
    assert github.requests == []
    assert keeper.summary.read_text().startswith("## mailctl audit: 1 failing")


def test_a_dropped_label_fails_the_run_rather_than_open_an_issue_every_run(
    keeper: Keeper, github: StandIn
) -> None:
    github.keep_labels = False
    report = report_of(failing("a.example", unreachable("i.a.example")), failing("b.example"))
    ran = keeper(report)
    assert ran.returncode == 1
    assert "GitHub dropped the label mailctl-audit from issue #1" in ran.stderr
    assert len(github.issues) == 1  # stopped at the first


def test_a_next_page_on_another_origin_is_not_followed(keeper: Keeper, github: StandIn) -> None:
    github.page_cap, github.next_base = 1, "http://127.0.0.2:9"
    keeper(report_of(failing("a.example"), failing("b.example")))
    ran = keeper(report_of(failing("a.example"), failing("b.example")))
    assert ran.returncode == 1
    assert "refusing to follow http://127.0.0.2:9" in ran.stderr
    assert len(github.requests) == 1


def test_a_bad_token_fails_the_run(keeper: Keeper, github: StandIn) -> None:
    github.tokens.pop(TOKEN)
    ran = keeper(fixture())
    assert ran.returncode == 1
    assert f"GET {ISSUES} answered 401" in ran.stderr


OCTOKIT = """
const keeper = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const calls = [];
const record = (name, data) => async (args) => { calls.push([name, args]); return { data }; };
const rest = { issues: {
  listForRepo: record("listForRepo", []),
  create: record("create", { number: 5, labels: [{ name: "mailctl-audit" }] }),
  update: record("update", {}),
  createComment: record("createComment", { id: 1 }),
} };
const github = { rest, paginate: async (method, args) => {
  calls.push(["paginate", method === rest.issues.listForRepo ? "listForRepo" : "?", args]);
  return input.issues;
} };
const client = keeper.fromOctokit(github, { owner: "acme", repo: "mail-settings" });
keeper.run({ client, env: { MAILCTL_AUDIT_FILE: input.file } })
  .then(() => process.stdout.write(JSON.stringify(calls)));
"""


def test_the_octokit_client_makes_the_same_calls(tmp_path: Path) -> None:
    """In the workflow the keeper runs inside actions/github-script with its Octokit."""
    report = fixture()
    (tmp_path / "audit.json").write_text(json.dumps(report))
    (created,) = decide(report, [])
    ours = {**created, "number": 3, "user": {"login": BOT}, "labels": [{"name": LABEL}]}
    ours["body"] = ours["body"].replace("a.example", "z.example")  # removed since
    result = subprocess.run(
        [node(), "-e", OCTOKIT, str(SCRIPTS / "audit-keeper.cjs")],
        input=json.dumps({"file": str(tmp_path / "audit.json"), "issues": [ours]}),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    repo = {"owner": "acme", "repo": "mail-settings"}
    calls = json.loads(result.stdout)
    assert calls[0] == [
        "paginate",
        "listForRepo",
        {**repo, "state": "open", "labels": LABEL, "per_page": 100},
    ]
    assert calls[1] == [
        "create",
        {**repo, "title": created["title"], "body": created["body"], "labels": [LABEL]},
    ]
    assert calls[2][0] == "createComment" and calls[2][1]["issue_number"] == 3
    assert calls[3] == [
        "update",
        {**repo, "issue_number": 3, "state": "closed", "state_reason": "not_planned"},
    ]

"""sticky-comment.cjs, the code the action runs (through actions/github-script) to keep
ONE mailctl comment per pull request, run under Node.

``pick()`` is the whole decision (which comment to update, if any) and is tested on
comment lists shaped like the REST API's. ``upsert()`` is tested against a recording
stand-in for Octokit that serves the listed comments and records the calls made:
that proves which calls it makes with which arguments, not that GitHub accepts them,
which only a run on GitHub can show."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.github.conftest import SCRIPTS, node, pick

MARKER = "<!-- mailctl-plan -->"
BOT = "github-actions[bot]"
OURS = f"{MARKER}\n## mailctl plan: 1 to create, 0 to update, 0 to delete, 0 range changes\n"


def comment(id: int, login: str, body: str) -> dict[str, Any]:
    return {
        "id": id,
        "user": {"login": login, "type": "Bot" if "[bot]" in login else "User"},
        "body": body,
    }


def test_no_comment_of_ours_means_create_one() -> None:
    assert pick([]) is None
    assert pick([comment(1, "ada", "LGTM"), comment(2, BOT, "Some other bot report")]) is None


def test_the_comment_whose_first_line_is_the_marker_by_the_bot() -> None:
    listed = [comment(1, "ada", "LGTM"), comment(5, BOT, OURS), comment(6, "bob", "+1")]
    assert pick(listed) == 5


def test_a_person_quoting_or_pasting_the_marker_is_not_picked() -> None:
    quoted = "> " + OURS.replace("\n", "\n> ")
    assert pick([comment(3, "bob", quoted)]) is None
    assert pick([comment(3, "bob", OURS)]) is None  # not the bot's: cannot be updated anyway
    assert pick([comment(4, BOT, "Earlier text\n" + OURS)]) is None  # marker not first


def test_the_oldest_of_several_is_kept_updated() -> None:
    listed = [comment(9, BOT, OURS), comment(4, BOT, OURS), comment(12, BOT, OURS)]
    assert pick(listed) == 4


def test_windows_line_ends_and_a_byte_order_mark_do_not_hide_the_marker() -> None:
    assert pick([comment(8, BOT, "\ufeff" + OURS.replace("\n", "\r\n"))]) == 8


def test_another_author_when_the_comment_is_posted_with_another_token() -> None:
    listed = [comment(5, BOT, OURS), comment(7, "mail-bot", OURS)]
    assert pick(listed, author="mail-bot") == 7


RECORDER = """
const sticky = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const calls = [];
const rest = { issues: {
  listComments: async () => { throw new Error("called through paginate only"); },
  createComment: async (args) => {
    calls.push(["createComment", args]);
    return { data: { id: 99 } };
  },
  updateComment: async (args) => {
    calls.push(["updateComment", args]);
    return { data: {} };
  },
} };
const github = { rest, paginate: async (method, args) => {
  calls.push(["paginate", method === rest.issues.listComments ? "listComments" : "?", args]);
  return input.comments;
} };
const context = { repo: { owner: "acme", repo: "mail-settings" },
                  issue: { number: 7 }, payload: { pull_request: { number: 7 } } };
sticky.upsert({ github, context, body: input.body })
  .then((result) => process.stdout.write(JSON.stringify({ result, calls })))
  .catch((error) => process.stdout.write(JSON.stringify({ error: error.message, calls })));
"""


def upsert(comments: list[dict[str, Any]], body: str) -> dict[str, Any]:
    result = subprocess.run(
        [node(), "-e", RECORDER, str(SCRIPTS / "sticky-comment.cjs")],
        input=json.dumps({"comments": comments, "body": body}),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    recorded: dict[str, Any] = json.loads(result.stdout)
    return recorded


LIST = [
    "paginate",
    "listComments",
    {"owner": "acme", "repo": "mail-settings", "issue_number": 7, "per_page": 100},
]


def test_upsert_creates_the_first_comment() -> None:
    recorded = upsert([comment(1, "ada", "LGTM")], OURS)
    assert recorded["result"] == {"id": 99, "action": "created"}
    assert recorded["calls"] == [
        LIST,
        [
            "createComment",
            {"owner": "acme", "repo": "mail-settings", "issue_number": 7, "body": OURS},
        ],
    ]


def test_upsert_updates_ours_on_the_next_push() -> None:
    newer = OURS.replace("1 to create", "2 to create")
    recorded = upsert([comment(1, "ada", "LGTM"), comment(5, BOT, OURS)], newer)
    assert recorded["result"] == {"id": 5, "action": "updated"}
    assert recorded["calls"] == [
        LIST,
        [
            "updateComment",
            {"owner": "acme", "repo": "mail-settings", "comment_id": 5, "body": newer},
        ],
    ]


def test_upsert_leaves_an_unchanged_comment_alone() -> None:
    recorded = upsert([comment(5, BOT, OURS)], OURS)
    assert recorded["result"] == {"id": 5, "action": "unchanged"}
    assert recorded["calls"] == [LIST]


@pytest.mark.parametrize("body", ["## mailctl plan\n", "text\n" + OURS])
def test_upsert_refuses_a_body_without_the_marker_first(body: str) -> None:
    recorded = upsert([], body)
    assert "must start with <!-- mailctl-plan -->" in recorded["error"]
    assert recorded["calls"] == []

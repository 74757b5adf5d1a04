"""The pull-request flow, end to end, in a scratch Git repository with a real store: the
scripts that plan.yml and apply.yml run (through action.yml) are run here exactly, and
what they leave for GitHub (annotations on standard output, the comment, the job
summary, the step outputs, the artifact folder) is checked."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.github.conftest import RUN_URL, Ci, Step, pick
from tests.github.domains_support import CHANGED, MAIN

MARKER = "<!-- mailctl-plan -->"
BOT = "github-actions[bot]"

# A second push to the pull request: c.example's IMAP moves to another host.
PUSHED_AGAIN = CHANGED.replace("imap: {host: imap.c.example}", "imap: {host: mail.c.example}")
# A third push breaks the file twice: a port as a string, and a misspelt key.
BROKEN = PUSHED_AGAIN.replace("port: 465}", 'port: "465"}').replace(
    "    use_static_ip_addresses: true\n", "    use_static_ips: true\n", 2
)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line number of the ``nth`` line of ``text`` that contains ``needle``."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return found[nth - 1]


def annotations(step: Step) -> list[str]:
    return [line for line in step.stdout.splitlines() if line.startswith("::")]


def comment_of(step: Step) -> str:
    return Path(step.outputs["comment-file"]).read_text()


def stored(ci: Ci) -> tuple[int, list[str]]:
    """The store's serial and domains, read from its SQLite file directly (cheaper than
    starting mailctl show each time; the CLI's own tests cover show)."""
    with closing(sqlite3.connect(ci.env["MAILCTL_STATE"].removeprefix("sqlite:///"))) as db:
        (serial,) = db.execute("SELECT serial FROM state").fetchone()
        names = [name for (name,) in db.execute("SELECT name FROM domains ORDER BY name")]
    return serial, names


def test_pull_request_plan_comment_annotations_and_apply_on_merge(ci: Ci) -> None:
    main = ci.commit("Domains", {"domains.yaml": MAIN})
    ci.git("push", "--quiet", "origin", "main")
    bootstrap = ci.mailctl(
        "apply", "domains.yaml", "--auto-approve", *ci.env["MAILCTL_ARGS"].split()
    )
    assert bootstrap.returncode == 0, bootstrap.stderr
    assert stored(ci) == (1, ["a.example", "b.example"])

    # --- a pull request changes domains.yaml ------------------------------------------
    ci.git("checkout", "--quiet", "-b", "move-smtp")
    ci.commit("Move b.example's SMTP, add c.example", {"domains.yaml": CHANGED})
    first = ci.run("mailctl-plan")
    assert first.returncode == 0, first.stderr
    assert first.outputs["exit-status"] == "2"
    assert first.outputs["passed"] == "true"
    assert first.outputs["changes"] == "2"
    out = Path(first.outputs["out-dir"])
    plan = json.loads((out / "plan.json").read_text())
    assert first.outputs["plan-checksum"] == plan["checksum"]
    assert first.outputs["reason"] == (
        "Changes present: 1 to create, 1 to update, 0 to delete, 0 range changes."
    )

    body = comment_of(first)
    lines = body.splitlines()
    assert lines[0] == MARKER
    assert lines[1] == "## mailctl plan: 1 to create, 1 to update, 0 to delete, 0 range changes"
    assert "✅ **Plan ready.** Merging this pull request applies these changes." in body
    assert "Planned from domains.yaml against store serial 1." in body
    assert "| to create | 1 |" in body and "| to update | 1 |" in body
    assert "<b>+ create</b> <code>c.example</code>" in body
    assert "<b>~ update</b> <code>b.example</code>" in body
    assert body.endswith(
        "<sub>mailctl plan exit status 2 (changes present); the full plan is "
        "<code>plan.json</code> in the <code>mailctl-plan</code> artifact of "
        f"[this workflow run]({RUN_URL}).</sub>"
    )
    assert len(body) <= 65_536
    # The job summary is the same Markdown.
    assert first.summary == body + "\n"
    # Annotations on the lines of the changed domains, for the "Files changed" tab.
    noted = annotations(first)
    assert any(
        a.startswith(f"::notice file=domains.yaml,line={line_of(CHANGED, 'b.example:')},col=3,")
        for a in noted
    ), noted
    assert any(
        a.startswith(f"::notice file=domains.yaml,line={line_of(CHANGED, 'c.example:')},col=3,")
        for a in noted
    ), noted
    # The artifact folder: the JSON plan and the allowlist preview, which has c.example.
    preview = {p.name for p in (out / "allowlists").iterdir()}
    assert {"a.example.nft", "c.example.nft", "all.nft"} <= preview
    assert stored(ci) == (1, ["a.example", "b.example"])  # a plan writes nothing

    # What the action does with the comment: GitHub lists the pull request's comments,
    # pick() chooses ours. After the first run there is none yet: create one.
    assert pick([{"id": 7, "user": {"login": "ada"}, "body": "Please review"}]) is None
    listed = [
        {"id": 7, "user": {"login": "ada"}, "body": "Please review"},
        {"id": 9, "user": {"login": BOT}, "body": body},
        {"id": 11, "user": {"login": "bob"}, "body": "> " + body.replace("\n", "\n> ")},
    ]
    assert pick(listed) == 9

    # --- a second push: the same comment, with a new body ------------------------------
    ci.commit("Move c.example's IMAP", {"domains.yaml": PUSHED_AGAIN})
    second = ci.run("mailctl-plan")
    assert second.outputs["exit-status"] == "2", second.stderr
    body2 = comment_of(second)
    assert body2 != body
    assert body2.splitlines()[0] == MARKER
    assert "<code>mail.c.example:993 ssl</code>" in body2
    assert pick(listed) == 9  # the comment to update is the same one
    assert pick([*listed[:1], {**listed[1], "body": body2}, *listed[2:]]) == 9

    # --- a third push breaks the file: annotations at the right lines -----------------
    ci.commit("Oops", {"domains.yaml": BROKEN})
    broken = ci.run("mailctl-plan")
    assert broken.returncode == 0, broken.stderr
    assert broken.outputs["exit-status"] == "1"
    assert broken.outputs["passed"] == "false"
    assert broken.outputs["reason"] == "mailctl plan failed (exit 1, error in input or usage)."
    assert broken.outputs["plan-checksum"] == ""
    errors = [a for a in annotations(broken) if a.startswith("::error ")]
    port_line = line_of(BROKEN, 'port: "465"')
    key_lines = [line_of(BROKEN, "use_static_ips:", n) for n in (1, 2)]
    port_col = BROKEN.splitlines()[port_line - 1].index('"465"') + 1
    places = sorted(a.split(",title=")[0] for a in errors)
    assert places == sorted(
        [
            f"::error file=domains.yaml,line={port_line},col={port_col}",
            *(f"::error file=domains.yaml,line={n},col=5" for n in key_lines),
        ]
    ), errors
    body3 = comment_of(broken)
    assert body3.splitlines()[:4] == [
        MARKER,
        "## mailctl plan: failed",
        "",
        "⛔ **mailctl plan failed (exit 1, error in input or usage).**",
    ]
    assert "<code>domains.yaml</code> has 3 input errors; nothing was planned." in body3
    assert f"| <code>domains.yaml:{port_line}:" in body3
    assert broken.summary == body3 + "\n"
    assert pick([*listed[:1], {**listed[1], "body": body3}, *listed[2:]]) == 9
    assert not (Path(broken.outputs["out-dir"]) / "plan.json").exists()

    # --- fixed, reviewed and merged: the apply on main --------------------------------
    ci.commit("Fix", {"domains.yaml": PUSHED_AGAIN})
    ci.git("checkout", "--quiet", "main")
    ci.git("merge", "--quiet", "--no-ff", "-m", "Merge pull request #7", "move-smtp")
    merge = ci.git("rev-parse", "HEAD")
    assert merge != main
    applied = ci.run("mailctl-apply", MAILCTL_ALLOWLIST_DIR="allowlists")
    assert applied.returncode == 0, applied.stderr
    assert applied.outputs["exit-status"] == "0"
    assert applied.outputs["passed"] == "true"
    assert applied.outputs["serial"] == "2"
    assert applied.outputs["changes"] == "2"
    assert applied.outputs["reason"] == (
        "Applied: serial 2 (1 created, 1 updated, 0 deleted, 0 range changes)."
    )
    assert stored(ci) == (2, ["a.example", "b.example", "c.example"])
    history = json.loads(ci.mailctl("history", "--format", "json").stdout)["entries"]
    assert history[-1]["commit"] == merge
    assert history[-1]["actor"] == "ada"
    applied_plan = json.loads((Path(applied.outputs["out-dir"]) / "plan.json").read_text())
    assert history[-1]["plan_checksum"] == applied_plan["checksum"]
    assert applied.outputs["plan-checksum"] == applied_plan["checksum"]
    assert applied.summary.startswith(
        "## mailctl apply: 1 to create, 1 to update, 0 to delete, 0 range changes\n\n"
        "✅ **Applied: serial 2 (1 created, 1 updated, 0 deleted, 0 range changes).**\n\n"
        "Allowlists written to allowlists ("
    )
    assert MARKER not in applied.summary
    written = {p.name for p in (ci.repo / "allowlists").iterdir()}
    assert {"a.example.nft", "c.example.nft", "all.nft", ".mailctl-allowlist.json"} <= written
    assert "b.example.nft" not in written  # no static IPs
    assert not [name for name in written if name.endswith(".lock")]  # the lock is beside
    # The artifact folder holds the same allowlists.
    collected = Path(applied.outputs["out-dir"]) / "allowlists"
    assert {p.name for p in collected.iterdir()} == written
    assert applied.outputs["allowlist-dir"] == "allowlists"

    # --- the allowlists, committed to the branch the firewall tooling watches ----------
    published = ci.run(
        "mailctl-publish-allowlists",
        MAILCTL_ALLOWLIST_DIR="allowlists",
        MAILCTL_ALLOWLIST_BRANCH="firewall-allowlists",
    )
    assert published.returncode == 0, published.stderr
    remote = ["--git-dir", str(ci.remote)]
    files = ci.git(*remote, "ls-tree", "-r", "--name-only", "firewall-allowlists").split("\n")
    assert set(files) == written
    nft = ci.git(*remote, "show", "firewall-allowlists:c.example.nft")
    assert nft == (ci.repo / "allowlists" / "c.example.nft").read_text().rstrip("\n")
    message = ci.git(*remote, "log", "-1", "--format=%s", "firewall-allowlists")
    assert message == f"Allowlists applied from {merge}"
    assert ci.git("rev-parse", "HEAD") == merge  # the checkout is left alone
    again = ci.run(
        "mailctl-publish-allowlists",
        MAILCTL_ALLOWLIST_DIR="allowlists",
        MAILCTL_ALLOWLIST_BRANCH="firewall-allowlists",
    )
    assert "up to date; nothing to commit" in again.stdout
    assert ci.git(*remote, "rev-list", "--count", "firewall-allowlists") == "1"

    # Merging again with nothing new: nothing applied, the allowlists still written.
    quiet = ci.run("mailctl-apply", MAILCTL_ALLOWLIST_DIR="allowlists")
    assert quiet.outputs["exit-status"] == "0", quiet.stderr
    assert quiet.outputs["reason"] == (
        "No changes: the store already matches the desired state; nothing applied."
    )
    assert quiet.outputs["serial"] == "2"
    assert "c.example.nft" in {p.name for p in (ci.repo / "allowlists").iterdir()}


def test_a_gate_block_fails_the_plan_and_the_comment_says_why(ci: Ci) -> None:
    ci.commit("Domains", {"domains.yaml": MAIN})
    args = ci.env["MAILCTL_ARGS"].split()
    assert ci.mailctl("apply", "domains.yaml", "--auto-approve", *args).returncode == 0
    weaker = MAIN.replace(
        "imap: {host: imap.b.example}", "imap: {host: imap.b.example, security: none}"
    )
    ci.commit("Plain IMAP for b.example", {"domains.yaml": weaker})
    step = ci.run("mailctl-plan")
    assert step.returncode == 0, step.stderr
    assert step.outputs["exit-status"] == "4"
    assert step.outputs["passed"] == "false"
    reason = (
        "mailctl plan failed (exit 4, blocked by a gate): blocked by downgrade: security "
        "downgrade: b.example: imap security ssl -> none; to apply anyway: --allow-downgrade."
    )
    assert step.outputs["reason"] == reason
    body = comment_of(step)
    assert body.splitlines()[0] == MARKER
    assert (
        "⛔ **mailctl plan failed (exit 4, blocked by a gate): blocked by downgrade: security "
        "downgrade: b.example: imap security ssl -&#62; none; to apply anyway: "
        "--allow-downgrade.** The apply on merge would be refused: push a fix, or see the "
        "override."
    ) in body
    assert "| ⛔ | <code>downgrade</code> |" in body
    assert any(a.startswith("::error title=mailctl gate downgrade::") for a in annotations(step))


def test_a_failed_apply_leaves_the_store_unchanged_and_says_why(ci: Ci) -> None:
    ci.commit("Domains", {"domains.yaml": MAIN})
    args = ci.env["MAILCTL_ARGS"].split()
    assert ci.mailctl("apply", "domains.yaml", "--auto-approve", *args).returncode == 0
    store = Path(ci.env["MAILCTL_STATE"].removeprefix("sqlite:///"))
    with closing(sqlite3.connect(store)) as db:
        before = db.execute("SELECT * FROM domains ORDER BY name").fetchall()
    weaker = MAIN.replace(
        "imap: {host: imap.b.example}", "imap: {host: imap.b.example, security: none}"
    )
    ci.commit("Merge pull request #8", {"domains.yaml": weaker})
    step = ci.run("mailctl-apply", MAILCTL_ALLOWLIST_DIR="allowlists")
    assert step.returncode == 0, step.stderr
    assert step.outputs["exit-status"] == "4"
    assert step.outputs["passed"] == "false"
    assert step.outputs["serial"] == "1"
    assert "⛔ **mailctl plan failed (exit 4, blocked by a gate): blocked by downgrade" in (
        step.summary
    )
    assert (
        "The store is unchanged: an apply writes all of its changes in one transaction, or "
        "none. What mailctl said:"
    ) in step.summary
    assert stored(ci) == (1, ["a.example", "b.example"])
    with closing(sqlite3.connect(store)) as db:
        assert db.execute("SELECT * FROM domains ORDER BY name").fetchall() == before
    assert not (ci.repo / "allowlists").exists()


def test_without_the_store_secret_nothing_is_planned_and_the_comment_says_so(ci: Ci) -> None:
    ci.commit("Domains", {"domains.yaml": MAIN})
    step = ci.run("mailctl-plan", MAILCTL_STATE="")
    assert step.returncode == 0, step.stderr
    assert step.outputs["exit-status"] == "1"
    body = comment_of(step)
    assert body.splitlines()[0] == MARKER
    assert "Nothing was planned. What mailctl said:" in body
    assert "the store URL is empty: set the repository secret" in body
    assert not (ci.repo / ".mailctl").exists()  # no local store was made up instead

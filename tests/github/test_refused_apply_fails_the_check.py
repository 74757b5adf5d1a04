"""A pull request whose apply would be refused fails its check, and the posted comment
says why, end to end through the scripts plan.yml and apply.yml run: a mass change
(4 of 10 domains) planned without --allow-mass-change, and a plan made with
--no-checks but without --allow-unchecked. The merge's apply is refused the same way
and leaves the store as it was. The step output ``passed=false`` is what fails the
check: action.yml's last step exits non-zero on it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from tests.github.conftest import Ci

MARKER = "<!-- mailctl-plan -->"
NAMES = [f"d{n}.example" for n in range(10)]


def domains(moved: int = 0) -> str:
    lines = ["version: 1", "domains:"]
    for n, name in enumerate(NAMES):
        host = f"mail.{name}" if n < moved else f"imap.{name}"
        lines += [f"  {name}:", f"    imap: {{host: {host}}}", f"    smtp: {{host: smtp.{name}}}"]
    return "\n".join(lines) + "\n"


def stored_imap_hosts(ci: Ci) -> list[str]:
    with closing(sqlite3.connect(ci.env["MAILCTL_STATE"].removeprefix("sqlite:///"))) as db:
        rows = db.execute("SELECT name, imap_host FROM domains ORDER BY name").fetchall()
    return [host for _, host in rows]


def seeded(ci: Ci) -> list[str]:
    ci.commit("Ten domains", {"domains.yaml": domains()})
    args = ci.env["MAILCTL_ARGS"].split()
    assert ci.mailctl("apply", "domains.yaml", "--auto-approve", *args).returncode == 0
    return stored_imap_hosts(ci)


def test_a_mass_change_fails_the_pull_request_and_its_merge_changes_nothing(ci: Ci) -> None:
    before = seeded(ci)
    ci.git("checkout", "--quiet", "-b", "move-four")
    ci.commit("Move four IMAP hosts", {"domains.yaml": domains(moved=4)})
    planned = ci.run("mailctl-plan")
    assert planned.returncode == 0, planned.stderr  # the action's last step fails the job
    assert (planned.outputs["exit-status"], planned.outputs["passed"]) == ("4", "false")
    reason = planned.outputs["reason"]
    assert reason.startswith("mailctl plan failed (exit 4, blocked by a gate): blocked by ")
    assert "mass-change" in reason and "4 of 10" in reason
    assert reason.endswith("to apply anyway: --allow-mass-change.")
    body = Path(planned.outputs["comment-file"]).read_text()
    assert body.splitlines()[0] == MARKER
    assert "⛔ **mailctl plan failed (exit 4, blocked by a gate)" in body
    assert "--allow-mass-change.** The apply on merge would be refused" in body
    assert "| ⛔ | <code>mass-change</code> |" in body
    assert "Plan ready" not in body

    # Merged anyway: the apply is refused the same way, and the store is as it was.
    ci.git("checkout", "--quiet", "main")
    ci.commit("Merge pull request #9", {"domains.yaml": domains(moved=4)})
    applied = ci.run("mailctl-apply")
    assert (applied.outputs["exit-status"], applied.outputs["passed"]) == ("4", "false")
    assert "blocked by" in applied.summary and "mass-change" in applied.summary
    assert stored_imap_hosts(ci) == before


def test_a_plan_without_live_checks_fails_the_pull_request_unless_allowed(ci: Ci) -> None:
    seeded(ci)
    ci.git("checkout", "--quiet", "-b", "move-one")
    ci.commit("Move one IMAP host", {"domains.yaml": domains(moved=1)})
    planned = ci.run("mailctl-plan", MAILCTL_ARGS="--no-checks")
    assert planned.returncode == 0, planned.stderr
    assert (planned.outputs["exit-status"], planned.outputs["passed"]) == ("4", "false")
    assert "--allow-unchecked" in planned.outputs["reason"]
    body = Path(planned.outputs["comment-file"]).read_text()
    assert "⛔ **mailctl plan failed (exit 4, blocked by a gate)" in body
    assert "--allow-unchecked.** The apply on merge would be refused" in body

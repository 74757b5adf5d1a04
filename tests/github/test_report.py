"""``mailctl report`` on its own, in-process: the comment for outcomes the scratch
repository cannot produce without real mail servers (exit 3), the one exit-status rule
(a plan its apply would refuse is never "ready"), and what it hides from text that
comes from mailctl's log."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.plan.builder import with_checks
from reconciler.plan.checking import skipped
from tests.github.conftest import read_outputs
from tests.render import plans

MARKER = "<!-- mailctl-plan -->"


def report(*argv: str) -> int:
    """``mailctl report ARGV``; its exit code."""
    return CliRunner().invoke(cli, ["report", *argv], catch_exceptions=False).exit_code


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The files GitHub Actions reads after a step, empty, in ``tmp_path``."""
    for name, file in (("GITHUB_OUTPUT", "output"), ("GITHUB_STEP_SUMMARY", "summary.md")):
        (tmp_path / file).touch()
        monkeypatch.setenv(name, str(tmp_path / file))
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "out"
    out.mkdir()
    return out


def test_a_failed_live_check_fails_the_plan_and_leads_the_comment(github: Path) -> None:
    (github / "plan.json").write_text(plans.shared().to_json())
    assert report("plan", str(github), "--status", "3") == 0
    body = (github / "comment.md").read_text()
    lines = body.splitlines()
    assert lines[:2] == [
        MARKER,
        "## mailctl plan: 3 to create, 0 to update, 0 to delete, 0 range changes",
    ]
    assert lines[3] == (
        "⛔ **mailctl plan failed (exit 3, a live connection check failed): 4 endpoints, 2 "
        "passed, 1 failed, 1 refused; a domain with settings that fail would disconnect its "
        "inboxes.** The apply on merge would be refused: push a fix, or see the override."
    )
    assert "server does not advertise STARTTLS" in body  # the failed check, shown below
    assert body.endswith(
        "the full plan is <code>plan.json</code> in the <code>mailctl-plan</code> artifact of "
        "this workflow run.</sub>"
    )
    outputs = read_outputs((github.parent / "output").read_text())
    assert outputs["exit-status"] == "3"
    assert outputs["passed"] == "false"
    assert (github.parent / "summary.md").read_text() == body + "\n"


def test_urls_in_mailctl_s_log_never_reach_the_comment(github: Path) -> None:
    (github / "plan.log").write_text(
        "mailctl: error: cannot use the PostgreSQL store at "
        "postgresql+psycopg://reader:***@db.internal.example:5432/mailctl: connection refused\n"
        "postgresql://reader:s3cret@db.internal.example/mailctl <b>bold</b>\n"
    )
    assert report("plan", str(github), "--status", "1") == 0
    body = (github / "comment.md").read_text()
    assert "db.internal.example" not in body and "s3cret" not in body
    assert "at &#91;store URL hidden&#93; connection refused" in body
    assert "&#60;b&#62;bold&#60;/b&#62;" in body  # and the log's text is escaped
    assert body.startswith(f"{MARKER}\n## mailctl plan: failed\n")


@pytest.mark.parametrize("given", ["2", "4"])
def test_an_unchecked_plan_is_never_ready_because_its_apply_is_refused(
    github: Path, given: str
) -> None:
    """Made with --no-checks and without --allow-unchecked: the apply on merge would be
    refused (exit 4), so the comment says so, whatever status the run passed on."""
    unchecked = with_checks(plans.many(3), skipped("--no-checks"))
    (github / "plan.json").write_text(unchecked.to_json())
    assert report("plan", str(github), "--status", given) == 0
    body = (github / "comment.md").read_text()
    assert "Plan ready" not in body
    assert body.splitlines()[3] == (
        "⛔ **mailctl plan failed (exit 4, blocked by a gate): blocked by checks: live "
        "checks: the changed domains were not checked (--no-checks); to apply anyway: "
        "--allow-unchecked.** The apply on merge would be refused: push a fix, or see the "
        "override."
    )
    outputs = read_outputs((github.parent / "output").read_text())
    assert (outputs["exit-status"], outputs["passed"]) == ("4", "false")


def test_a_lifted_checks_gate_leaves_the_plan_ready(github: Path) -> None:
    lifted = with_checks(plans.many(3), skipped("--no-checks"), ("checks",))
    (github / "plan.json").write_text(lifted.to_json())
    assert report("plan", str(github), "--status", "2") == 0
    body = (github / "comment.md").read_text()
    assert body.splitlines()[3] == (
        "✅ **Plan ready.** Merging this pull request applies these changes."
    )
    outputs = read_outputs((github.parent / "output").read_text())
    assert (outputs["exit-status"], outputs["passed"]) == ("2", "true")

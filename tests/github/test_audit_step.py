"""mailctl-audit, the script the audit workflow runs (through action.yml), run here as
a step would run it: what it leaves for the next steps when the audit does not run."""

from __future__ import annotations

from tests.github.conftest import Ci


def test_without_the_store_secret_there_is_no_report_and_the_step_says_why(ci: Ci) -> None:
    step = ci.run("mailctl-audit", MAILCTL_STATE="")
    assert step.returncode == 0, step.stderr
    assert step.outputs["exit-status"] == "1"
    assert step.outputs["passed"] == "false"
    # No report: the step that keeps the issues does not run, so none is touched.
    assert step.outputs["audit-file"] == ""
    assert step.outputs["reason"].startswith("the store URL is empty: set the repository secret")
    assert step.summary.startswith("## mailctl audit: did not run\n")
    assert "The issues were left as they are." in step.summary


def test_an_audit_that_cannot_open_its_store_leaves_no_report(ci: Ci) -> None:
    """The store's folder does not exist: mailctl audit fails before it checks anything."""
    step = ci.run("mailctl-audit")
    assert step.returncode == 0, step.stderr
    assert step.outputs["exit-status"] not in ("0", "3")
    assert step.outputs["passed"] == "false"
    assert step.outputs["audit-file"] == ""
    assert not (ci.work / "mailctl" / "audit.json").exists()
    assert "did not run" in step.summary


def test_an_audit_of_some_domains_only_is_partial(ci: Ci) -> None:
    step = ci.run("mailctl-audit", MAILCTL_ARGS="--domain a.example")
    assert step.outputs["partial"] == "true"
    assert ci.run("mailctl-audit").outputs["partial"] == "false"

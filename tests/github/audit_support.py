"""Audit reports shaped exactly like ``mailctl audit --format json`` (the fixture in
data/audit.json, and variants built from it), issues shaped like the REST API lists
them, and the pure functions of audit-issues.cjs run under Node."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

from tests.github.conftest import SCRIPTS, node
from tests.github.github_standin import OWNER, REPO, StandIn

FIXTURE = Path(__file__).with_name("data") / "audit.json"
BOT = "github-actions[bot]"
LABEL = "mailctl-audit"
TOKEN = "ghs_audit-token"


def fixture() -> dict[str, Any]:
    report: dict[str, Any] = json.loads(FIXTURE.read_text())
    return report


def domain_of(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [d for d in report["domains"] if d["domain"] == name]
    (domain,) = found
    return domain


def failing(name: str, *findings: dict[str, Any]) -> dict[str, Any]:
    return {
        "domain": name,
        "domain_unicode": name,
        "verdict": "failing",
        "findings": list(findings),
    }


def healthy(name: str) -> dict[str, Any]:
    return {"domain": name, "domain_unicode": name, "verdict": "ok", "findings": []}


def unreachable(host: str, port: int = 993, message: str = "") -> dict[str, Any]:
    return {
        "endpoint": "imap",
        "host": host,
        "port": port,
        "severity": "failure",
        "kind": "unreachable",
        "message": message or f"{host}:{port}: connection refused",
        "failed_step": "tcp",
        "certificate": None,
    }


def report_of(*domains: dict[str, Any], at: str = "2026-11-30T12:00:00Z") -> dict[str, Any]:
    """A report of ``domains`` (sorted, as mailctl sorts them) with a matching summary."""
    listed = sorted(copy.deepcopy(list(domains)), key=lambda d: d["domain"])
    verdicts = [d["verdict"] for d in listed]
    return {
        "format_version": 1,
        "audited_at": at,
        "store": {"lineage": "0b9f6c2e-6d0b-4d55-9d7e-1f1f0c6b7a10", "serial": 12},
        "summary": {
            "domains": len(listed),
            "endpoints": 2 * len(listed),
            "failing": verdicts.count("failing"),
            "warning": verdicts.count("warning"),
            "ok": verdicts.count("ok"),
        },
        "ok": "failing" not in verdicts,
        "domains": listed,
    }


def issue(number: int, login: str, body: str, labels: tuple[str, ...] = (LABEL,)) -> dict[str, Any]:
    return {
        "number": number,
        "state": "open",
        "title": "t",
        "user": {"login": login},
        "labels": [{"name": name} for name in labels],
        "body": body,
    }


class Keeper:
    """Runs ``node audit-keeper.cjs`` as the audit workflow's step would, on one report."""

    def __init__(self, github: StandIn, work: Path) -> None:
        self.github, self.work, self.runs = github, work, 0
        work.mkdir(parents=True, exist_ok=True)

    def __call__(
        self, report: dict[str, Any] | str | Path | None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Keep the issues for ``report``: a report, its text, a file holding it, or
        None for a report file that does not exist."""
        self.runs += 1
        file = self.work / f"audit-{self.runs}.json"
        if isinstance(report, Path):
            file = report
        elif report is not None:
            file.write_text(report if isinstance(report, str) else json.dumps(report))
        self.summary = self.work / f"summary-{self.runs}.md"
        self.summary.touch()
        self.github.requests.clear()
        return subprocess.run(
            [node(), str(SCRIPTS / "audit-keeper.cjs")],
            env={
                "PATH": "/usr/bin:/bin",
                "GITHUB_API_URL": self.github.url,
                "GITHUB_TOKEN": TOKEN,
                "GITHUB_REPOSITORY": f"{OWNER}/{REPO}",
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_RUN_ID": str(4240 + self.runs),
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "MAILCTL_AUDIT_FILE": str(file),
                **env,
            },
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )


def js(function: str, *args: Any) -> Any:
    """``function(...args)`` of audit-issues.cjs under Node, on JSON arguments."""
    program = (
        "const m = require(process.argv[1]);"
        "const args = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        f"const out = m.{function}(...args);"
        "process.stdout.write(JSON.stringify(out === undefined ? null : out));"
    )
    result = subprocess.run(
        [node(), "-e", program, str(SCRIPTS / "audit-issues.cjs")],
        input=json.dumps(args),
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def decide(report: dict[str, Any], issues: list[dict[str, Any]], **options: Any) -> Any:
    """decide() on ``report`` as readReport() reads it (so a bad report raises here)."""
    program = (
        "const m = require(process.argv[1]);"
        "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const report = m.readReport(JSON.stringify(input.report));"
        "process.stdout.write(JSON.stringify(m.decide(report, input.issues, input.options)));"
    )
    result = subprocess.run(
        [node(), "-e", program, str(SCRIPTS / "audit-issues.cjs")],
        input=json.dumps({"report": report, "issues": issues, "options": options}),
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def kinds(actions: list[dict[str, Any]]) -> list[tuple[str, str, int | None]]:
    return [(a["kind"], a["domain"], a.get("number")) for a in actions]

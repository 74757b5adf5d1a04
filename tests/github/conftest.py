"""The GitHub side of mailctl, played on this machine: the scripts that the workflows and
the action run, run for real (bash, the installed mailctl, a real store, real Git), with
the files GitHub Actions provides ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY) as temporary
files. What only GitHub can do (run the YAML, call its API) is out of reach here; the
decision of which comment to update is a pure function, run under Node as data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import ROOT

if TYPE_CHECKING:
    from tests.github.audit_support import Keeper
    from tests.github.github_standin import StandIn

SCRIPTS = ROOT / ".github" / "scripts"
WORKFLOWS = ROOT / ".github" / "workflows"
ACTION = ROOT / "action.yml"
BIN = Path(sys.executable).parent
REPOSITORY = "acme/mail-settings"
RUN_URL = f"https://github.com/{REPOSITORY}/actions/runs/4242"


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed; run ./scripts/test", pytrace=False)
    return found


@dataclass
class Step:
    """One run of a script as a workflow step: its exit status, what it printed, and
    what it left in the files GitHub Actions reads after a step."""

    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


@dataclass
class Ci:
    """A scratch Git repository with a remote, and a way to run the workflow scripts in
    it the way a runner does."""

    repo: Path
    remote: Path
    work: Path
    env: dict[str, str] = field(default_factory=dict)
    steps: int = 0

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return result.stdout.strip()

    def commit(self, message: str, files: dict[str, str]) -> str:
        for name, text in files.items():
            (self.repo / name).write_text(text)
        self.git("add", "--all")
        self.git("commit", "--quiet", "-m", message)
        return self.git("rev-parse", "HEAD")

    def run(self, script: str, **env: str) -> Step:
        """Run ``.github/scripts/<script>`` in the repository as a step would."""
        self.steps += 1
        step = self.work / f"step-{self.steps}"
        step.mkdir()
        output, summary = step / "output", step / "summary.md"
        output.touch()
        summary.touch()
        result = subprocess.run(
            [str(SCRIPTS / script)],
            cwd=self.repo,
            env={
                **self.env,
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(summary),
                **env,
            },
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        return Step(
            result.returncode,
            result.stdout,
            result.stderr,
            read_outputs(output.read_text()),
            summary.read_text(),
        )

    def mailctl(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "mailctl"), *args],
            cwd=self.repo,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )


def read_outputs(text: str) -> dict[str, str]:
    """``key=value`` lines, as written by the scripts (single-line values only)."""
    outputs = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        assert sep, f"not an output line: {line!r}"
        outputs[key] = value
    return outputs


@pytest.fixture
def ci(tmp_path: Path) -> Ci:
    """A repository on ``main`` with a bare ``origin``, and the environment of a runner:
    the installed mailctl first on PATH, no global Git configuration, the store in a
    SQLite file (the workflows get its URL from a secret), and live checks off (the
    example mail servers are fictional; no test sends a packet off loopback)."""
    repo, remote, work = tmp_path / "repo", tmp_path / "origin.git", tmp_path / "work"
    work.mkdir()
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n")
    keep = ("HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "GIT_CONFIG_GLOBAL": str(gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada",
            "GIT_COMMITTER_EMAIL": "ada@example.com",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_RUN_ID": "4242",
            "GITHUB_ACTOR": "ada",
            "RUNNER_TEMP": str(work),
            "MAILCTL_STATE": f"sqlite:///{tmp_path / 'store' / 'state.db'}",
            "MAILCTL_ARGS": "--no-checks --allow-unchecked",
        }
    )
    subprocess.run(
        ["git", "init", "--quiet", "--bare", str(remote)], env=env, check=True, timeout=30
    )
    subprocess.run(["git", "init", "--quiet", str(repo)], env=env, check=True, timeout=30)
    made = Ci(repo=repo, remote=remote, work=work, env=env)
    made.git("remote", "add", "origin", str(remote))
    return made


def pick(comments: list[dict[str, object]], **options: str) -> object:
    """``pick()`` of sticky-comment.cjs, the code the action runs to choose the comment
    to update, run under Node on ``comments`` as the REST API lists them."""
    program = (
        "const {pick} = require(process.argv[1]);"
        "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const found = pick(input.comments, input.options);"
        "process.stdout.write(JSON.stringify(found === null ? null : found.id));"
    )
    result = subprocess.run(
        [node(), "-e", program, str(SCRIPTS / "sticky-comment.cjs")],
        input=json.dumps({"comments": comments, "options": options}),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(result.stdout)


@pytest.fixture
def github() -> Iterator[StandIn]:
    """A recording stand-in for GitHub's REST API on 127.0.0.1, where the audit's token
    acts as github-actions[bot] and another as a person."""
    from tests.github.audit_support import BOT, TOKEN
    from tests.github.github_standin import StandIn, serving

    with serving(StandIn(tokens={TOKEN: BOT, "ghp_ada": "ada"})) as standin:
        yield standin


@pytest.fixture
def keeper(github: StandIn, tmp_path: Path) -> Keeper:
    """audit-keeper.cjs under Node, pointed at ``github``."""
    from tests.github.audit_support import Keeper

    return Keeper(github, tmp_path / "keeper")

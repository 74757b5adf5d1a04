"""The mass-change thresholds on the command line: options and variables on plan,
apply PATH and rollback, validated as usage errors (exit 1, nothing written), and
carried into the saved plan that ``apply PLAN`` then judges with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_support import OFFLINE, mailctl
from tests.conftest import Run
from tests.ten_domains_support import domains_file


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, str]:
    """A domains file of ten domains and a store holding them."""
    path = domains_file(tmp_path / "domains.yaml")
    state = f"sqlite:///{tmp_path / 'state.db'}"
    seeded = mailctl("apply", str(path), "--state", state, "--auto-approve", *OFFLINE["apply"])
    assert seeded.returncode == 0, seeded.stderr
    domains_file(path, moved=4)
    return path, state


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (("--mass-change-percent", "101"), {}, "--mass-change-percent"),
        (("--mass-change-floor", "-1"), {}, "--mass-change-floor"),
        ((), {"MAILCTL_MASS_CHANGE_PERCENT": "half"}, "--mass-change-percent"),
        ((), {"MAILCTL_MASS_CHANGE_FLOOR": "-3"}, "--mass-change-floor"),
    ],
)
@pytest.mark.parametrize("command", ["plan", "apply", "rollback"])
def test_bad_thresholds_are_usage_errors(
    files: tuple[Path, str],
    tmp_path: Path,
    command: str,
    args: tuple[str, ...],
    env: dict[str, str],
    named: str,
) -> None:
    path, state = files
    target = ("--to", "1") if command == "rollback" else (str(path),)
    out = tmp_path / "p.json"
    saving = ("--out", str(out)) if command != "apply" else ("--auto-approve",)
    before = (tmp_path / "state.db").read_bytes()
    result = mailctl(command, *target, "--state", state, *saving, *OFFLINE[command], *args, env=env)
    assert result.returncode == 1
    assert named in result.stderr
    assert not out.exists()
    assert (tmp_path / "state.db").read_bytes() == before


def test_the_variables_are_recorded_like_the_options(
    files: tuple[Path, str], tmp_path: Path
) -> None:
    path, state = files
    out = tmp_path / "p.json"
    env = {"MAILCTL_MASS_CHANGE_PERCENT": "40", "MAILCTL_MASS_CHANGE_FLOOR": "5"}
    made = mailctl(
        "plan", str(path), "--state", state, "--out", str(out), *OFFLINE["plan"], env=env
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert "mass-change limit 40%, judged from 5 stored domains" in made.stdout
    assert json.loads(out.read_text())["decisions"]["mass_change"] == {"percent": 40, "floor": 5}


@pytest.mark.smoke
def test_thresholds_from_plan_to_apply(run_mailctl: Run, tmp_path: Path) -> None:
    path = domains_file(tmp_path / "domains.yaml")
    state = f"sqlite:///{tmp_path / 'state.db'}"
    offline = ("--no-checks", "--allow-unchecked")
    seeded = run_mailctl("apply", str(path), "--state", state, "--auto-approve", *offline)
    assert seeded.returncode == 0, seeded.stderr
    domains_file(path, moved=4)
    out = tmp_path / "p.json"
    refused = run_mailctl(
        "plan", str(path), "--state", state, *offline, "--mass-change-percent", "101"
    )
    assert refused.returncode == 1 and "--mass-change-percent" in refused.stderr
    made = run_mailctl(
        "plan", str(path), "--state", state, "--out", str(out), *offline,
        "--mass-change-percent", "40",
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    assert "--mass-change-percent 40" in made.stdout  # the recorded decision, shown
    # An unsigned plan: its looser threshold counts only when the apply repeats it.
    unrepeated = run_mailctl("apply", str(out), "--state", state, "--allow-unchecked")
    assert unrepeated.returncode == 1 and "give --mass-change-percent 40" in unrepeated.stderr
    applied = run_mailctl(
        "apply", str(out), "--state", state, "--allow-unchecked",
        env={"MAILCTL_MASS_CHANGE_PERCENT": "40"},
    )  # fmt: skip
    assert applied.returncode == 0, applied.stdout + applied.stderr

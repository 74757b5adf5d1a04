"""Habits brought from Terraform and from other command lines: single-dash long
options, typos in a command's name, --no-color beside NO_COLOR, shell completion."""

from __future__ import annotations

import os
import pty
from pathlib import Path

import click
import pytest

from reconciler.cli import cli
from reconciler.cli.common import colour
from tests.cli_support import mailctl
from tests.tty_support import stderr_on_a_tty

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (["apply", "p.json", "-auto-approve"], "did you mean --auto-approve?"),
        (["plan", "domains.yaml", "-out=p.json"], "did you mean --out=p.json?"),
        (["plan", "-no-checks", "domains.yaml"], "did you mean --no-checks?"),
        (["check", "-check-deadline", "5", "d.yaml"], "did you mean --check-deadline?"),
    ],
)
def test_a_terraform_spelling_is_answered_with_ours(args: list[str], suggestion: str) -> None:
    ran = mailctl(*args)
    assert ran.returncode == 1
    assert suggestion in ran.stderr
    assert "No such option: -a" not in ran.stderr


def test_a_short_option_and_a_value_after_double_dash_are_left_alone() -> None:
    assert "did you mean" not in mailctl("plan", "-h").stderr
    assert "did you mean" not in mailctl("plan", "x.yaml", "--", "-out").stderr


def test_a_global_option_after_the_command_is_told_where_it_goes() -> None:
    ran = mailctl("plan", "domains.yaml", "-no-color")
    assert ran.returncode == 1
    assert "--no-color is an option of mailctl itself" in ran.stderr
    assert "mailctl --no-color plan" in ran.stderr


@pytest.mark.parametrize(("typo", "meant"), [("paln", "plan"), ("aply", "apply"), ("shwo", "show")])
def test_a_typo_in_a_command_name_gets_a_suggestion(typo: str, meant: str) -> None:
    ran = mailctl(typo, "x")
    assert ran.returncode == 1
    assert f"Did you mean '{meant}'?" in ran.stderr


def test_no_color_switches_colour_off_at_a_terminal() -> None:
    primary, secondary = pty.openpty()
    with os.fdopen(secondary, "w") as terminal:
        plain = cli.make_context("mailctl", ["validate", "x"])
        with plain:
            assert colour(terminal)
        asked = cli.make_context("mailctl", ["--no-color", "validate", "x"])
        with asked:
            assert not colour(terminal)
            assert click.get_current_context().find_root() is asked
    os.close(primary)


def test_shell_completion_as_the_readme_shows_it() -> None:
    script = mailctl(env={"_MAILCTL_COMPLETE": "bash_source"})
    assert script.returncode == 0
    assert "_mailctl_completion" in script.stdout
    words = {"_MAILCTL_COMPLETE": "bash_complete", "COMP_WORDS": "mailctl pl", "COMP_CWORD": "1"}
    assert "plain,plan" in mailctl(env=words).stdout.splitlines()


@pytest.mark.smoke
def test_no_color_on_a_terminal() -> None:
    args = ["validate", str(FIXTURES / "bad" / "port_zero.yaml")]
    assert "\x1b[" in stderr_on_a_tty(args, {})
    plain = stderr_on_a_tty(["--no-color", *args], {})
    assert "port_zero.yaml:" in plain  # the diagnostics, not a usage error
    assert "\x1b[" not in plain

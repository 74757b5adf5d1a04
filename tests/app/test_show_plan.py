"""``mailctl show PLAN.json``: a saved plan shown again, read as apply reads it (checksum,
and with the plan key the signature) and rendered as plan rendered it. Through the use
case, the command line in process, and one smoke test of the installed script. No
network: every plan is made with the live checks off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.app.inspect import ShowPlanOptions, show_plan
from reconciler.app.plan import PlanRequest, plan
from reconciler.errors import InputError
from reconciler.plan.signing import PLAN_KEY_ENV, PlanKey, Trust
from tests.cli_support import OFFLINE, Ran, mailctl
from tests.conftest import Run

DOMAINS = (
    "version: 1\nconnection_ips:\n  ranges: [192.0.2.0/28]\ndomains:\n"
    "  a.example:\n    imap: {host: imap.a.example}\n    smtp: {host: smtp.a.example}\n"
)
KEY = PlanKey(b"plan-and-show-share-this-key-1234")
SECRET = "plan-and-show-share-this-key-1234"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "domains.yaml").write_text(DOMAINS)
    return tmp_path


def saved(folder: Path, key: PlanKey | None = None) -> Path:
    out = folder / "plan.json"
    plan(
        PlanRequest(
            folder / "domains.yaml",
            state_url=f"sqlite:///{folder / 'state.db'}",
            lifted=frozenset({"checks"}),
            key=key,
            out=out,
        )
    )
    return out


def planned_in(folder: Path, *args: str, env: dict[str, str] | None = None) -> Ran:
    return mailctl(
        "plan", "domains.yaml", *OFFLINE["plan"], "--out", "plan.json", *args, cwd=folder, env=env
    )


def test_the_use_case_reads_the_plan_back_as_saved_without_a_store(folder: Path) -> None:
    path = saved(folder)
    shown = show_plan(ShowPlanOptions(path))
    assert shown.document.to_json() == path.read_text()
    assert shown.trust is Trust.NO_KEY and shown.status == 0
    assert not (folder / "state.db").exists()


def test_a_signed_plan_verifies_with_the_key_and_not_with_another(folder: Path) -> None:
    path = saved(folder, KEY)
    assert show_plan(ShowPlanOptions(path, KEY)).trust is Trust.SIGNED
    with pytest.raises(InputError, match="signed with another key"):
        show_plan(ShowPlanOptions(path, PlanKey(b"another-key-another-key-another!")))


def test_an_edited_plan_is_refused_naming_the_file(folder: Path) -> None:
    path = saved(folder)
    path.write_text(path.read_text().replace("imap.a.example", "imap.evil.example"))
    with pytest.raises(InputError, match="changed after it was made"):
        show_plan(ShowPlanOptions(path))


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "github"])
def test_show_renders_the_saved_plan_exactly_as_plan_did(folder: Path, fmt: str) -> None:
    made = planned_in(folder, "--format", fmt)
    assert made.returncode == 0, made.stderr
    shown = mailctl("show", "plan.json", "--format", fmt, cwd=folder)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == made.stdout
    assert "Not signed" in shown.stderr


def test_show_with_the_plan_key_says_the_signature_verified(folder: Path) -> None:
    env = {PLAN_KEY_ENV: SECRET}
    assert planned_in(folder, env=env).returncode == 0
    shown = mailctl("show", "plan.json", cwd=folder, env=env)
    assert shown.returncode == 0 and "Signature verified" in shown.stderr
    assert SECRET not in shown.stdout + shown.stderr
    other = mailctl("show", "plan.json", cwd=folder, env={PLAN_KEY_ENV: "x" * 40})
    assert other.returncode == 1 and "another key" in other.stderr and other.stdout == ""


def test_an_edited_plan_shown_as_json_gives_json_diagnostics(folder: Path) -> None:
    assert planned_in(folder).returncode == 0
    path = folder / "plan.json"
    path.write_text(path.read_text().replace("a.example", "b.example"))
    before = path.read_bytes()
    shown = mailctl("show", "plan.json", "--format", "json", cwd=folder)
    assert shown.returncode == 1
    answer = json.loads(shown.stdout)
    assert answer["ok"] is False and answer["path"] == "plan.json"
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("plan.json", "--format", "yaml"), "text, markdown, json or github"),
        (("plan.json", "--state", "sqlite:///other.db"), "--state reads the store"),
        (("--format", "markdown"), "mailctl show PLAN.json"),
    ],
)
def test_formats_and_options_of_the_other_view_are_usage_errors(
    folder: Path, args: tuple[str, ...], said: str
) -> None:
    assert planned_in(folder).returncode == 0
    shown = mailctl("show", *args, cwd=folder)
    assert shown.returncode == 1 and said in shown.stderr and shown.stdout == ""
    assert not (folder / "other.db").exists()


def test_show_without_a_plan_still_shows_the_store(folder: Path) -> None:
    applied = mailctl("apply", "domains.yaml", *OFFLINE["apply"], "--auto-approve", cwd=folder)
    assert applied.returncode == 0, applied.stderr
    shown = mailctl("show", cwd=folder)
    assert shown.returncode == 0 and "serial 1" in shown.stdout and "a.example" in shown.stdout


@pytest.mark.smoke
def test_the_installed_mailctl_shows_a_saved_plan_as_json(folder: Path, run_mailctl: Run) -> None:
    path = saved(folder)
    shown = run_mailctl("show", str(path), "--format", "json", cwd=folder)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == path.read_text()

"""An apply of a saved plan honours the plan's decisions and no flag of its own: also
``--no-checks`` (unless the plan was made with it, or there is nothing to check again)
and the target flags given beside it, which reach nothing but are still decisions. And
every apply that an error stops before it stores anything ends with the line the other
refusals end with, ``Nothing applied: <why>.``: a lock held by another run, a flag the
plan does not record, a plan file that is damaged or was edited. Through the use cases
with a real SQLite store; the live checks that a plan records run against a closed
port on loopback, with the names pinned, so nothing leaves the machine."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from reconciler.allowlist.formats import FORMATS
from reconciler.app.apply import ApplyPathRequest, ApplyPlanRequest, apply_path, apply_plan
from reconciler.app.options import CheckOptions, NotRecorded, Targets
from reconciler.app.plan import PlanRequest, plan
from reconciler.app.publish import Publish
from reconciler.errors import InputError, MailctlError
from reconciler.store.base import LockTimeout
from reconciler.store.open import open_store
from tests.cli_support import mailctl
from tests.conftest import Run
from tests.ten_domains_support import Yes, domains_file, stored_hosts

PINS = {"imap.a.example": ["127.0.0.1"], "smtp.a.example": ["127.0.0.1"]}
LIFTED = frozenset({"checks", "mass-change"})


@pytest.fixture
def state(tmp_path: Path) -> str:
    """A store holding the ten domains (serial 1)."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first = ApplyPathRequest(
        domains_file(tmp_path / "first.yaml"), "seed", state_url=url, lifted=frozenset({"checks"})
    )
    assert apply_path(first, Yes()).applied is not None
    return url


def saved(tmp_path: Path, state: str) -> Path:
    """A plan moving 4 of the 10 stored domains, made without live checks and with the
    checks and mass-change gates lifted."""
    out = tmp_path / "plan.json"
    path = domains_file(tmp_path / "d.yaml", moved=4)
    plan(PlanRequest(path, state_url=state, lifted=LIFTED, out=out))
    return out


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def checked_plan(tmp_path: Path) -> Path:
    """A plan of one new domain whose live checks ran (and failed: a closed port)."""
    path = tmp_path / "checked.yaml"
    path.write_text(
        "version: 1\ndomains:\n  a.example:\n"
        f"    imap: {{host: imap.a.example, port: {closed_port()}, security: ssl}}\n"
        "    smtp: {host: smtp.a.example}\n"
    )
    out = tmp_path / "checked.json"
    checks = CheckOptions(allow_private=True, pinned=PINS, deadline=20)
    url = f"sqlite:///{tmp_path / 'checked.db'}"
    plan(PlanRequest(path, state_url=url, checks=checks, out=out))
    assert json.loads(out.read_text())["checks"]["status"] == "failed"
    return out


def notes(exc: BaseException) -> list[str]:
    return list(getattr(exc, "__notes__", []))


# --- --no-checks and the target flags beside it ---------------------------------------


def test_no_checks_at_apply_of_a_plan_whose_checks_ran_is_refused(tmp_path: Path) -> None:
    out = checked_plan(tmp_path)
    url = f"sqlite:///{tmp_path / 'checked.db'}"
    targets = Targets(allow_private=True, pinned=PINS)  # repeated as recorded: fine
    request = ApplyPlanRequest(out, "test", state_url=url, no_checks=True, targets=targets)
    with pytest.raises(NotRecorded) as refused:
        apply_plan(request)
    assert "the saved plan was not made with --no-checks:" in str(refused.value)
    assert "make the plan again with them" in str(refused.value)
    assert notes(refused.value) == ["Nothing applied: the plan was not made with these flags."]
    assert not (tmp_path / "checked.db").exists()


@pytest.mark.parametrize(
    ("targets", "named"),
    [
        (Targets(pinned={"imap.d00.example": ["192.0.2.7"]}), "--resolve imap.d00.example"),
        (Targets(allow_private=True), "--allow-private-targets"),
        (Targets(ca_file=Path(__file__)), "--ca-file"),
    ],
    ids=["resolve", "private", "ca-file"],
)
def test_target_flags_beside_no_checks_are_refused_when_the_plan_has_none(
    tmp_path: Path, state: str, targets: Targets, named: str
) -> None:
    out = saved(tmp_path, state)  # made with --no-checks
    before = stored_hosts(state)
    request = ApplyPlanRequest(
        out, "test", state_url=state, lifted=LIFTED, no_checks=True, targets=targets
    )
    with pytest.raises(NotRecorded, match=f"the saved plan was not made with {named}"):
        apply_plan(request)
    assert stored_hosts(state) == before


def test_no_checks_repeating_the_plan_s_own_is_no_new_decision(tmp_path: Path, state: str) -> None:
    out = saved(tmp_path, state)
    request = ApplyPlanRequest(
        out, "test", state_url=state, lifted=LIFTED, no_checks=True, targets=Targets()
    )
    assert apply_plan(request).serial == 2


# --- errors that stop an apply end with "Nothing applied" ----------------------------


def test_a_lock_held_by_another_run_ends_saying_nothing_was_applied(
    tmp_path: Path, state: str
) -> None:
    out = saved(tmp_path, state)
    before = stored_hosts(state)
    holder = open_store(state)
    try:
        with holder.lock("another run", 5.0):
            request = ApplyPlanRequest(
                out, "test", state_url=state, lifted=LIFTED, lock_timeout=0.1
            )
            with pytest.raises(LockTimeout) as refused:
                apply_plan(request)
    finally:
        holder.close()
    assert notes(refused.value) == ["Nothing applied: the store is locked by another run."]
    assert stored_hosts(state) == before


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short: not JSON
        lambda text: text.replace("imap.new.d00.example", "imap.evil.d00.example"),  # edited
    ],
    ids=["damaged", "edited"],
)
def test_a_bad_or_edited_plan_file_ends_saying_nothing_was_applied(
    tmp_path: Path, state: str, damage: object
) -> None:
    out = saved(tmp_path, state)
    assert callable(damage)
    out.write_text(damage(out.read_text()))
    before = stored_hosts(state)
    with pytest.raises(InputError) as refused:
        apply_plan(ApplyPlanRequest(out, "test", state_url=state, lifted=LIFTED))
    assert notes(refused.value) == ["Nothing applied: the plan file cannot be used as it is."]
    assert stored_hosts(state) == before


def test_the_command_line_ends_with_the_line_after_the_error(tmp_path: Path, state: str) -> None:
    out = saved(tmp_path, state)
    ran = mailctl(
        "apply", str(out), "--state", state, "--no-checks", "--allow-unchecked",
        "--allow-mass-change", "--allow-private-targets",
    )  # fmt: skip
    assert ran.returncode == 1
    lines = ran.stderr.rstrip().splitlines()
    assert lines[0].startswith("mailctl: error: the saved plan was not made with ")
    assert "--allow-private-targets" in lines[0]
    assert lines[-1] == "Nothing applied: the plan was not made with these flags."
    out.write_text("{")
    broken = mailctl("apply", str(out), "--state", state, "--no-checks", "--allow-unchecked")
    assert broken.returncode == 1
    assert "not a plan: invalid JSON" in broken.stderr
    assert broken.stderr.rstrip().splitlines()[-1] == (
        "Nothing applied: the plan file cannot be used as it is."
    )


def test_an_error_after_the_store_was_written_does_not_say_nothing_was_applied(
    tmp_path: Path, state: str
) -> None:
    (tmp_path / "fw").write_text("a file where the allowlist folder should be\n")
    out = saved(tmp_path, state)
    publish = Publish(tmp_path / "fw", tuple(FORMATS.values()))
    request = ApplyPlanRequest(out, "test", state_url=state, lifted=LIFTED, publish=publish)
    with pytest.raises(MailctlError, match="cannot create the folder") as failed:
        apply_plan(request)
    assert notes(failed.value) == []
    assert stored_hosts(state)["d00.example"] == "imap.new.d00.example"


@pytest.mark.smoke
def test_smoke_apply_with_an_unrecorded_flag(tmp_path: Path, state: str, run_mailctl: Run) -> None:
    out = saved(tmp_path, state)
    ran = run_mailctl(
        "apply", str(out), "--state", state, "--no-checks", "--allow-unchecked",
        "--allow-mass-change", "--resolve", "imap.d00.example=192.0.2.7",
    )  # fmt: skip
    assert ran.returncode == 1
    assert "not made with --resolve imap.d00.example=192.0.2.7" in ran.stderr
    assert ran.stderr.rstrip().splitlines()[-1] == (
        "Nothing applied: the plan was not made with these flags."
    )

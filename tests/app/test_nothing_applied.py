"""An apply that stores nothing ends with one line saying so and why (no changes,
declined, a failed live check, a gate), and an apply of a domains file that loses a
race to another apply says so in its own terms, not as a saved plan's. Through the use
cases and the command line in process; the one failing check is against a closed port
on loopback, with the names pinned, so nothing leaves the machine."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.app.apply import ApplyPathRequest, GateBlocked, apply_path
from reconciler.app.plan import Planned
from reconciler.plan.status import EXIT_BLOCKED, EXIT_CHECK_FAILED, EXIT_ERROR
from reconciler.store.open import open_store
from tests.cli_support import OFFLINE, mailctl

UNCHECKED = frozenset({"checks"})


def domains_yaml(*names: str, port: int = 993) -> str:
    lines = ["version: 1", "domains:"]
    for name in names:
        lines += [
            f"  {name}:",
            f"    imap: {{host: imap.{name}, port: {port}, security: ssl}}",
            f"    smtp: {{host: smtp.{name}}}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "domains.yaml").write_text(domains_yaml("a.example"))
    return tmp_path


def serial(url: str) -> int:
    store = open_store(url)
    try:
        return store.read().serial
    finally:
        store.close()


@dataclass
class Racing:
    """A review that, while the person reads the plan, lets another apply land first."""

    other: Path
    url: str

    def show(self, planned: Planned) -> None:
        pass

    def confirm(self, where: str) -> bool:
        first = apply_path(
            ApplyPathRequest(self.other, "other", state_url=self.url, lifted=UNCHECKED),
            Yes(),
        )
        assert first.applied is not None and first.applied.serial == 1
        return True


class Yes:
    def show(self, planned: Planned) -> None:
        pass

    def confirm(self, where: str) -> bool:
        return True


class No(Yes):
    def confirm(self, where: str) -> bool:
        return False


def test_an_apply_that_loses_a_race_speaks_of_itself_not_of_a_saved_plan(
    folder: Path,
) -> None:
    url = f"sqlite:///{folder / 'state.db'}"
    other = folder / "other.yaml"
    other.write_text(domains_yaml("b.example"))
    request = ApplyPathRequest(folder / "domains.yaml", "me", state_url=url, lifted=UNCHECKED)
    with pytest.raises(GateBlocked) as refused:
        apply_path(request, Racing(other, url))
    message = str(refused.value)
    assert "saved plan" not in message
    assert message.splitlines() == [
        "blocked by gate stale: the store changed while this apply ran "
        "(serial 0 when planned, 1 now); run it again",
        "Nothing applied: blocked by gate stale.",
    ]
    assert serial(url) == 1  # the other apply, and nothing of this one


def test_the_use_case_says_why_nothing_was_applied(folder: Path) -> None:
    url = f"sqlite:///{folder / 'state.db'}"
    path = folder / "domains.yaml"
    declined = apply_path(ApplyPathRequest(path, "me", state_url=url, lifted=UNCHECKED), No())
    assert (declined.nothing_applied, declined.status) == ("declined at the prompt", EXIT_ERROR)
    gated = apply_path(ApplyPathRequest(path, "me", state_url=url), Yes())
    assert (gated.nothing_applied, gated.status) == ("blocked by gate checks", EXIT_BLOCKED)
    done = apply_path(ApplyPathRequest(path, "me", state_url=url, lifted=UNCHECKED), Yes())
    assert done.nothing_applied is None
    again = apply_path(ApplyPathRequest(path, "me", state_url=url, lifted=UNCHECKED), Yes())
    assert again.nothing_applied == "no changes" and again.status == 0


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_auto_approve_with_a_failed_check_ends_saying_nothing_was_applied(
    folder: Path,
) -> None:
    (folder / "domains.yaml").write_text(domains_yaml("a.example", port=closed_port()))
    pins = ("--resolve", "imap.a.example=127.0.0.1", "--resolve", "smtp.a.example=127.0.0.1")
    ran = mailctl(
        "apply",
        "domains.yaml",
        "--auto-approve",
        *pins,
        "--allow-private-targets",
        "--check-deadline",
        "20",
        cwd=folder,
    )
    assert ran.returncode == EXIT_CHECK_FAILED, ran.stderr
    assert ran.stderr.rstrip().splitlines()[-1] == "Nothing applied: a live check failed."
    assert serial(f"sqlite:///{folder / '.mailctl' / 'state.db'}") == 0


def test_auto_approve_blocked_by_a_gate_ends_saying_which(folder: Path) -> None:
    ran = mailctl("apply", "domains.yaml", "--auto-approve", "--no-checks", cwd=folder)
    assert ran.returncode == EXIT_BLOCKED
    assert ran.stderr.rstrip().splitlines()[-1] == "Nothing applied: blocked by gate checks."


def test_applies_with_no_changes_end_saying_so(folder: Path) -> None:
    offline = ("apply", "domains.yaml", *OFFLINE["apply"], "--auto-approve")
    assert mailctl(*offline, cwd=folder).returncode == 0
    again = mailctl(*offline, cwd=folder)
    assert again.returncode == 0
    assert again.stdout.rstrip().splitlines()[-1] == "Nothing applied: no changes."
    made = mailctl("plan", "domains.yaml", *OFFLINE["plan"], "--out", "p.json", cwd=folder)
    assert made.returncode == 0
    saved = mailctl("apply", "p.json", *OFFLINE["apply"], cwd=folder)
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout.rstrip().splitlines()[-1] == "Nothing applied: no changes."


def test_a_saved_plan_that_is_stale_keeps_its_wording_and_ends_the_same_way(
    folder: Path,
) -> None:
    made = mailctl("plan", "domains.yaml", *OFFLINE["plan"], "--out", "p.json", cwd=folder)
    assert made.returncode == 0
    offline = ("apply", "domains.yaml", *OFFLINE["apply"], "--auto-approve")
    assert mailctl(*offline, cwd=folder).returncode == 0
    stale = mailctl("apply", "p.json", *OFFLINE["apply"], cwd=folder)
    assert stale.returncode == EXIT_BLOCKED
    assert "saved plan is stale" in stale.stderr
    assert stale.stderr.rstrip().splitlines()[-1] == "Nothing applied: blocked by gate stale."

"""A saved plan's re-check at apply uses the decisions the plan was made with: its
--resolve pins (fictional host names pinned to 127.0.0.1, where Dovecot and aiosmtpd
listen), its private-targets setting and its CA file, never the apply's own flags. In
process, through the ``apply_plan`` use case, against real servers on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.app.apply import ApplyPlanRequest, apply_plan
from reconciler.app.options import CaFileChanged, CheckOptions, NotRepeated
from reconciler.app.plan import PlanRequest, plan
from reconciler.app.recheck import Recheck
from reconciler.plan.signing import PlanKey
from reconciler.store.base import Store
from tests.checks import servers
from tests.checks.conftest import Dovecots
from tests.checks.harness import Recorder
from tests.checks.pki import Pki

KEY = PlanKey(b"plan-and-apply-jobs-share-this-key!")
PINNED = {"imap.test.example": ["127.0.0.1"], "smtp.test.example": ["127.0.0.1"]}


@pytest.fixture
def ca(tmp_path: Path, pki: Pki) -> Path:
    """A copy of the test CA, so that a test may change it after planning."""
    path = tmp_path / "ca.pem"
    path.write_bytes(pki.ca_file.read_bytes())
    return path


def domains(tmp_path: Path, imap_port: int, smtp_port: int) -> Path:
    path = tmp_path / "domains.yaml"
    path.write_text(
        "version: 1\ndomains:\n  shop.example:\n"
        f"    imap: {{host: imap.test.example, port: {imap_port}, security: ssl}}\n"
        f"    smtp: {{host: smtp.test.example, port: {smtp_port}, security: starttls}}\n"
    )
    return path


def planned(tmp_path: Path, store: Store, ca: Path, path: Path, key: PlanKey | None) -> Path:
    """Saved, made with the pins, private targets and the CA file."""
    out = tmp_path / "plan.json"
    reach = CheckOptions(allow_private=True, ca_file=ca, pinned=PINNED, env={}, deadline=10.0)
    made = plan(PlanRequest(path, checks=reach, key=key, out=out), store=store)
    assert made.document.checks.status == "passed"
    assert dict(made.document.decisions.pins) == {h: tuple(a) for h, a in PINNED.items()}
    return out


# What `mailctl apply plan.json` passes with no target flag: nothing pinned, nothing
# private, the system's CA bundle.
BARE = CheckOptions(env={}, deadline=10.0)


def repeated(ca: Path) -> CheckOptions:
    """What the apply passes when it repeats the plan's target flags."""
    return CheckOptions(allow_private=True, ca_file=ca, pinned=PINNED, env={}, deadline=10.0)


@pytest.mark.parametrize(
    ("key", "max_age", "why"),
    [(None, 3600.0, "is not set"), (KEY, 0.0, "--max-check-age 0")],
    ids=["unsigned-repeated", "signed-but-old"],
)
def test_the_recheck_at_apply_uses_the_plans_pins_private_targets_and_ca_file(
    tmp_path: Path,
    dovecots: Dovecots,
    pki: Pki,
    store: Store,
    ca: Path,
    key: PlanKey | None,
    max_age: float,
    why: str,
) -> None:
    # A signed plan's decisions are honoured as recorded; an unsigned plan's only when
    # the apply repeats them.
    given = BARE if key is not None else repeated(ca)
    with servers.smtp_server(starttls=pki.good) as smtp_port:
        path = domains(tmp_path, dovecots.good.tls_port, smtp_port)
        out = planned(tmp_path, store, ca, path, key)
        seen, told = Recorder(), list[Recheck]()
        request = ApplyPlanRequest(out, "test", checks=given, max_check_age=max_age, key=key)
        applied = apply_plan(request, store=store, progress=seen, told=told.append)
    assert why in told[0].reason
    assert told[0].checks is not None and told[0].checks.status == "passed"
    assert sorted(r.target.protocol for r in seen.results) == ["imap", "smtp"]
    assert applied.serial == 1
    assert store.read().domains["shop.example"].imap.port == dovecots.good.tls_port


def test_an_unsigned_plan_does_not_point_the_recheck_anywhere_on_its_own(
    tmp_path: Path, dovecots: Dovecots, pki: Pki, store: Store, ca: Path
) -> None:
    # Its pins and private targets could have been written by anyone who can seal the
    # file again: without the apply repeating them, nothing is connected to.
    with servers.smtp_server(starttls=pki.good) as smtp_port:
        out = planned(
            tmp_path, store, ca, domains(tmp_path, dovecots.good.tls_port, smtp_port), None
        )
        seen = Recorder()
        with pytest.raises(NotRepeated, match="the saved plan is not signed") as refused:
            apply_plan(ApplyPlanRequest(out, "test", checks=BARE), store=store, progress=seen)
    message = str(refused.value)
    assert "--allow-private-targets" in message and f"--ca-file {ca}" in message
    assert all(f"--resolve {host}=" in message for host in PINNED)
    assert seen.results == []
    assert store.read().lineage is None


def test_a_ca_file_that_changed_since_the_plan_refuses_the_recheck(
    tmp_path: Path, dovecots: Dovecots, pki: Pki, store: Store, ca: Path
) -> None:
    with servers.smtp_server(starttls=pki.good) as smtp_port:
        out = planned(
            tmp_path, store, ca, domains(tmp_path, dovecots.good.tls_port, smtp_port), KEY
        )
        ca.write_bytes(ca.read_bytes() + b"\n")  # one byte more: another file
        seen = Recorder()
        request = ApplyPlanRequest(out, "test", checks=BARE, max_check_age=0.0, key=KEY)
        with pytest.raises(CaFileChanged, match=f"the CA file {ca} is not the one the plan"):
            apply_plan(request, store=store, progress=seen)
    assert seen.results == []  # refused before any connection
    assert store.read().lineage is None


def test_a_recorded_ca_file_given_again_with_the_same_content_is_no_new_decision(
    tmp_path: Path, dovecots: Dovecots, pki: Pki, store: Store, ca: Path
) -> None:
    with servers.smtp_server(starttls=pki.good) as smtp_port:
        out = planned(
            tmp_path, store, ca, domains(tmp_path, dovecots.good.tls_port, smtp_port), None
        )
        again = CheckOptions(
            allow_private=True, ca_file=pki.ca_file, pinned=PINNED, env={}, deadline=10.0
        )
        applied = apply_plan(ApplyPlanRequest(out, "test", checks=again), store=store)
    assert applied.serial == 1

"""Whose live checks apply trusts: a saved plan's own evidence only when the plan is
signed with the shared key; otherwise apply checks the changed endpoints again, here
against real Dovecot and aiosmtpd on loopback (or a loopback port where nothing
listens, when a failing check is the point). In process, at the use cases the
``mailctl apply`` command calls: ``read_plan``, ``recheck``, ``apply``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.app import planfile
from reconciler.app.apply import Applied, GateBlocked, apply_document
from reconciler.app.options import CheckOptions
from reconciler.app.plan import PlanRequest
from reconciler.app.plan import plan as make_plan
from reconciler.app.recheck import Recheck, recheck
from reconciler.plan.document import PlanDocument
from reconciler.plan.signing import PLAN_KEY_ENV, PlanKey, SignatureMismatch
from reconciler.store.base import Store
from tests.checks import servers
from tests.checks.conftest import Dovecots
from tests.checks.harness import Recorder
from tests.checks.pki import Pki
from tests.conftest import Run

KEY = PlanKey(b"plan-and-apply-jobs-share-this-key!")
HOUR = 3600.0


def options(pki: Pki) -> CheckOptions:
    pinned = {name: ["127.0.0.1"] for name in ("imap.test.example", "smtp.test.example")}
    pinned["imap.moved.example"] = ["127.0.0.1"]
    return CheckOptions(
        allow_private=True, ca_file=pki.ca_file, pinned=pinned, env={}, deadline=10.0
    )


def domains(tmp_path: Path, imap: tuple[str, int], smtp_port: int) -> Path:
    path = tmp_path / "domains.yaml"
    path.write_text(
        "version: 1\ndomains:\n  shop.example:\n"
        f"    imap: {{host: {imap[0]}, port: {imap[1]}, security: ssl}}\n"
        f"    smtp: {{host: smtp.test.example, port: {smtp_port}, security: starttls}}\n"
    )
    return path


def apply(document: PlanDocument, store: Store, **more: Any) -> Applied:
    return apply_document(document, store, actor="test", commit=None, **more)


def passed_everywhere(document: PlanDocument) -> PlanDocument:
    """``document`` with every check result rewritten as passed and sealed again with
    mailctl's own code, as anyone with the package could."""
    data = json.loads(document.to_json())
    data["checks"]["status"] = "passed"
    for endpoint in data["checks"]["endpoints"]:
        endpoint["result"].update(verdict="passed", failed_step=None, message="")
    for verdict in data["gates"]:
        verdict["passed"] = True
    return PlanDocument.model_validate(data).sealed()


def test_a_host_change_whose_checks_were_rewritten_as_passed_is_checked_again(
    tmp_path: Path, dovecots: Dovecots, pki: Pki, store: Store
) -> None:
    with servers.smtp_server(starttls=pki.good) as smtp_port:
        good = domains(tmp_path, ("imap.test.example", dovecots.good.tls_port), smtp_port)
        first = make_plan(PlanRequest(good, checks=options(pki)), store=store).document
        assert first.checks.status == "passed"
        assert apply(first, store, fresh_checks=first.checks).serial == 1

        # The pull request moves IMAP to a host where nothing listens.
        dead = servers.closed_port()
        moved = domains(tmp_path, ("imap.moved.example", dead), smtp_port)
        honest = make_plan(PlanRequest(moved, checks=options(pki)), store=store).document
        assert honest.checks.status == "failed"
        lying = passed_everywhere(honest)
        path = tmp_path / "plan.json"
        path.write_text(lying.to_json())
        document = planfile.read(path)  # the re-sealed checksum holds

        # The plan's evidence alone never passes the gate: it is not authenticated.
        with pytest.raises(GateBlocked) as untrusted:
            apply(document, store)
        assert [v.gate for v in untrusted.value.verdicts] == ["checks"]
        assert "the plan's own results are not trusted" in untrusted.value.verdicts[0].message

        # What `mailctl apply` does: check the changed endpoints again, then apply.
        seen = Recorder()
        again = recheck(document, None, options(pki), HOUR, seen)
        assert again.reason == (
            f"{PLAN_KEY_ENV} is not set, so the plan's signature cannot be verified"
        )
        assert again.checks is not None and again.checks.status == "failed"
        assert len(seen.results) == 2  # both endpoints of shop.example, for real
        with pytest.raises(GateBlocked) as refused:
            apply(document, store, fresh_checks=again.checks)
        (checks,) = refused.value.verdicts
        assert checks.gate == "checks"
        assert f"imap://imap.moved.example:{dead}/ssl (shop.example) failed:" in checks.message
    assert store.read().serial == 1
    assert store.read().domains["shop.example"].imap.host == "imap.test.example"


def test_a_signed_plan_whose_checks_were_rewritten_is_refused_as_tampered(
    tmp_path: Path, dovecots: Dovecots, pki: Pki, store: Store
) -> None:
    dead = servers.closed_port()
    path = domains(tmp_path, ("imap.test.example", dovecots.good.tls_port), dead)
    honest = make_plan(PlanRequest(path, checks=options(pki), key=KEY), store=store).document
    assert honest.checks.status == "failed" and honest.signature is not None
    lying = passed_everywhere(honest)  # the signature is kept; it no longer matches
    seen = Recorder()
    with pytest.raises(SignatureMismatch, match="changed after it was signed"):
        recheck(lying, KEY, options(pki), HOUR, seen)
    assert seen.results == []  # refused, not quietly checked again
    with pytest.raises(SignatureMismatch):
        apply(lying, store, key=KEY, lifted={"checks"})
    assert store.read().lineage is None


def test_a_signed_plan_applies_on_its_own_evidence_and_an_unsigned_one_is_rechecked(
    tmp_path: Path, dovecots: Dovecots, pki: Pki, store: Store
) -> None:
    with servers.smtp_server(starttls=pki.good) as smtp_port:
        path = domains(tmp_path, ("imap.test.example", dovecots.good.tls_port), smtp_port)
        signed = make_plan(PlanRequest(path, checks=options(pki), key=KEY), store=store).document
        unsigned = make_plan(PlanRequest(path, checks=options(pki)), store=store).document
    assert signed.checks.status == unsigned.checks.status == "passed"
    # The SMTP server is gone now: any check of it again would fail.

    # Unsigned: checked again (with or without a key at apply), and refused.
    for key, why in (
        (KEY, f"the plan is not signed (it was made without {PLAN_KEY_ENV})"),
        (None, f"{PLAN_KEY_ENV} is not set, so the plan's signature cannot be verified"),
    ):
        seen = Recorder()
        again = recheck(unsigned, key, options(pki), HOUR, seen)
        assert again.reason == why and len(seen.results) == 2
        assert again.checks is not None and again.checks.status == "failed"
        with pytest.raises(GateBlocked, match=f"smtp.test.example:{smtp_port}"):
            apply(unsigned, store, fresh_checks=again.checks, key=key)

    # Signed and recent: trusted as it is, no connection made, applied.
    seen = Recorder()
    assert recheck(signed, KEY, options(pki), HOUR, seen) == Recheck(None, "")
    assert seen.results == []
    # Signed but older than --max-check-age: checked again, as before.
    old = recheck(signed, KEY, options(pki), 0.0)
    assert (
        old.reason.startswith("the plan's live checks are ") and "--max-check-age 0" in old.reason
    )
    assert old.checks is not None and old.checks.status == "failed"

    result = apply(signed, store, key=KEY)
    assert result.serial == 1 and result.summary.create == 1
    assert store.read().domains["shop.example"].smtp.port == smtp_port


def test_an_unsigned_plan_rechecked_against_live_servers_applies(
    tmp_path: Path, dovecots: Dovecots, pki: Pki, store: Store
) -> None:
    with servers.smtp_server(starttls=pki.good) as smtp_port:
        path = domains(tmp_path, ("imap.test.example", dovecots.good.tls_port), smtp_port)
        unsigned = make_plan(PlanRequest(path, checks=options(pki)), store=store).document
        seen = Recorder()
        again = recheck(unsigned, KEY, options(pki), HOUR, seen)
        assert again.checks is not None and again.checks.status == "passed"
        assert sorted(r.target.protocol for r in seen.results) == ["imap", "smtp"]
        assert apply(unsigned, store, fresh_checks=again.checks, key=KEY).serial == 1


def test_mailctl_signs_with_the_key_from_the_environment_and_never_shows_it(
    tmp_path: Path, dovecots: Dovecots, pki: Pki, mailctl: Run
) -> None:
    """The one run of the real command: plan and apply read MAILCTL_PLAN_KEY."""
    secret = "a-shared-plan-key-of-forty-bytes-0123456"
    state = ["--state", f"sqlite:///{tmp_path / 'state.db'}"]
    live = [
        *("--resolve", "imap.test.example=127.0.0.1", "--resolve", "smtp.test.example=127.0.0.1"),
        *("--allow-private-targets", "--ca-file", str(pki.ca_file)),
    ]
    out = tmp_path / "plan.json"
    with servers.smtp_server(starttls=pki.good) as smtp_port:
        path = domains(tmp_path, ("imap.test.example", dovecots.good.tls_port), smtp_port)
        made = mailctl(
            "plan", str(path), *state, "--out", str(out), *live, env={PLAN_KEY_ENV: secret}
        )
    assert made.returncode == 0, made.stdout + made.stderr
    short = mailctl("apply", str(out), *state, *live, env={PLAN_KEY_ENV: "too-short"})
    assert short.returncode == 1
    assert f"{PLAN_KEY_ENV} is too short (9 bytes" in short.stderr
    other = mailctl("apply", str(out), *state, *live, env={PLAN_KEY_ENV: "x" * 32})
    assert other.returncode == 1 and "signed with another key" in other.stderr
    # The SMTP server is gone: applied on the signed plan's own evidence, no re-check.
    applied = mailctl("apply", str(out), *state, *live, env={PLAN_KEY_ENV: secret})
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Applied: serial 1 (1 created" in applied.stdout
    assert "check " not in applied.stderr and "not used" not in applied.stderr
    for result in (made, short, other, applied):
        assert secret not in result.stdout + result.stderr
    assert secret not in out.read_text() and json.loads(out.read_text())["signature"]

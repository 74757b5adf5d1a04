"""Canary: a password given to the checks appears in no result, log or output."""

from __future__ import annotations

import logging

import pytest

from tests.checks import servers
from tests.checks.conftest import Dovecots
from tests.checks.harness import CREDENTIALS, imap, run_check, smtp
from tests.checks.pki import Pki

CANARY = servers.USERS["canary"]


def test_the_password_never_leaks(
    dovecots: Dovecots,
    pki: Pki,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    good = {"MAIL_LOGIN_USER": "canary", "MAIL_LOGIN_PASSWORD": CANARY}
    # a failed login with the canary
    wrong = {"MAIL_LOGIN_USER": "alice", "MAIL_LOGIN_PASSWORD": CANARY}
    results = []
    with servers.smtp_server(starttls=pki.good) as smtp_port:
        for env in (good, wrong):
            results += [
                run_check(smtp(smtp_port, **CREDENTIALS), pki, env=env),
                run_check(imap(dovecots.good.plain_port, "starttls", **CREDENTIALS), pki, env=env),
                run_check(imap(dovecots.good.plain_port, "none", **CREDENTIALS), pki, env=env),
            ]
    assert [r.logged_in for r in results] == [True, True, None, False, False, None]
    for result in results:
        assert CANARY not in result.model_dump_json()
        assert CANARY not in repr(result)
    captured = capfd.readouterr()
    assert CANARY not in captured.out + captured.err
    assert CANARY not in caplog.text
    assert CANARY not in dovecots.good.log

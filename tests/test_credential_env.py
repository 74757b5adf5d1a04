"""Which environment variables a domains file may name as credentials: the operator's
MAILCTL_CREDENTIAL_ENV (default MAIL_LOGIN_*), and a denylist no setting lifts. Judged
where the file is loaded (validate, plan, check) and where the checks read the
environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.app.plan import PlanRequest
from reconciler.app.plan import plan as make_plan
from reconciler.checks.dialogue import Credentials, credentials_for
from reconciler.desired.credential_env import CredentialPolicy, denied
from reconciler.desired.loader import load
from reconciler.errors import InputError, Location
from reconciler.plan.evidence import CheckTarget
from reconciler.store.open import open_store

STORE_URL = "postgresql://mailctl:hunter2@db.example/mailctl"


def write(tmp_path: Path, username: str, password: str) -> Path:
    path = tmp_path / "domains.yaml"
    path.write_text(
        "version: 1\n"
        "domains:\n"
        "  attacker.example:\n"
        "    imap: {host: imap.attacker.example}\n"
        "    smtp: {host: smtp.attacker.example}\n"
        "    credentials:\n"
        f"      username_env: {username}\n"
        f"      password_env: {password}\n"
    )
    return path


def errors(path: Path, policy: CredentialPolicy | None = None) -> list[tuple[Location, str, str]]:
    with pytest.raises(InputError) as raised:
        load(path) if policy is None else load(path, policy)
    return [(d.location, d.message, d.hint) for d in raised.value.diagnostics]


def test_the_store_url_variable_is_refused_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "MAIL_LOGIN_USER", "MAILCTL_STATE")
    [(place, message, hint)] = errors(path)
    assert place == Location(str(path), 8, 21)
    assert message.startswith("credentials.password_env names MAILCTL_STATE, one of mailctl's")
    assert "never usable" in message
    assert "MAIL_LOGIN_PASSWORD" in hint


NEVER = ["GITHUB_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "RUNNER_TEMP", "AWS_SECRET_ACCESS_KEY"]
NEVER += ["PGPASSWORD", "MAILCTL_PLAN_KEY", "mailctl_state", "CI_JOB_TOKEN", "INPUT_TOKEN"]


@pytest.mark.parametrize("name", NEVER)
def test_ci_and_mailctl_secrets_are_never_usable_whatever_the_operator_allows(
    tmp_path: Path, name: str
) -> None:
    assert denied(name)
    path = write(tmp_path, "MAIL_LOGIN_USER", name)
    everything = CredentialPolicy.parse(f"{name} MAIL_LOGIN_* {name[:2]}*")
    [(place, message, _)] = errors(path, everything)
    assert place.line == 8
    assert f"names {name}, " in message and "never usable" in message


def test_by_default_only_the_dedicated_prefix_is_usable(tmp_path: Path) -> None:
    assert load(write(tmp_path, "MAIL_LOGIN_USER", "MAIL_LOGIN_PASSWORD")).desired.domains
    refused = errors(write(tmp_path, "LEGACY_USER", "MAIL_LOGIN_"))
    assert [(p.line, p.column) for p, _, _ in refused] == [(7, 21), (8, 21)]
    assert (
        "LEGACY_USER, which is not allowed for credentials (allowed: MAIL_LOGIN_*)"
        in (refused[0][1])
    )
    assert "MAILCTL_CREDENTIAL_ENV, outside the domains file" in refused[0][2]


def test_the_operator_allows_names_and_prefixes_outside_the_file(tmp_path: Path) -> None:
    policy = CredentialPolicy.from_env({"MAILCTL_CREDENTIAL_ENV": "LEGACY_USER, SHARED_*"})
    assert load(write(tmp_path, "LEGACY_USER", "SHARED_PASSWORD"), policy).desired.domains
    # the default prefix is no longer allowed once the operator sets their own list
    [(_, message, _)] = errors(write(tmp_path, "LEGACY_USER", "MAIL_LOGIN_PASSWORD"), policy)
    assert "(allowed: SHARED_* LEGACY_USER)" in message
    # set but empty: no variable at all
    nothing = CredentialPolicy.from_env({"MAILCTL_CREDENTIAL_ENV": ""})
    assert "allowed: nothing" in errors(write(tmp_path, "A_USER", "A_PASSWORD"), nothing)[0][1]


@pytest.mark.parametrize("setting", ["*", "MAIL LOGIN *", "1ST_*", "A*B"])
def test_a_malformed_setting_is_an_input_error_naming_it(setting: str) -> None:
    with pytest.raises(InputError) as raised:
        CredentialPolicy.from_env({"MAILCTL_CREDENTIAL_ENV": setting})
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.location == Location("$MAILCTL_CREDENTIAL_ENV")
    assert "neither a variable name nor a PREFIX*" in diagnostic.message


def test_plan_refuses_before_reading_the_store_or_checking(tmp_path: Path) -> None:
    path = write(tmp_path, "MAIL_LOGIN_USER", "MAILCTL_STATE")
    store_file = tmp_path / "state.db"
    store = open_store(f"sqlite:///{store_file}")
    try:
        with pytest.raises(InputError) as raised:
            make_plan(PlanRequest(path, checks=None), store=store)
    finally:
        store.close()
    assert raised.value.diagnostics[0].location == Location(str(path), 8, 21)
    assert not store_file.exists()


def target(username: str, password: str) -> CheckTarget:
    return CheckTarget(
        protocol="imap",
        host="imap.attacker.example",
        port=993,
        security="ssl",
        username_env=username,
        password_env=password,
    )


def test_the_checks_never_read_a_refused_variable_whatever_sent_the_name() -> None:
    # A target from a stored state or a saved plan never passed the loader.
    env = {"MAILCTL_STATE": STORE_URL, "MAIL_LOGIN_USER": "alice", "GITHUB_TOKEN": "ghs_x"}
    for username, password in [("MAIL_LOGIN_USER", "MAILCTL_STATE"), ("GITHUB_TOKEN", "X")]:
        outcome = credentials_for(target(username, password), env)
        assert isinstance(outcome, str)
        assert outcome.startswith("login not checked: credentials.")
        assert "never usable" in outcome
        assert STORE_URL not in outcome and "ghs_x" not in outcome
    # allowed by the operator, but still one of mailctl's own: refused
    allowing = {**env, "MAILCTL_CREDENTIAL_ENV": "MAILCTL_STATE MAIL_LOGIN_*"}
    assert isinstance(credentials_for(target("MAIL_LOGIN_USER", "MAILCTL_STATE"), allowing), str)


def test_the_checks_read_names_the_operator_allows() -> None:
    env = {"MAIL_LOGIN_USER": "alice", "MAIL_LOGIN_PASSWORD": "s3cret"}
    assert credentials_for(target("MAIL_LOGIN_USER", "MAIL_LOGIN_PASSWORD"), env) == (
        Credentials("alice", "s3cret", "$MAIL_LOGIN_USER")
    )
    legacy = {"LEGACY_USER": "bob", "LEGACY_PASSWORD": "pw", "MAILCTL_CREDENTIAL_ENV": "LEGACY_*"}
    assert isinstance(
        credentials_for(target("LEGACY_USER", "LEGACY_PASSWORD"), legacy), Credentials
    )
    other = {**legacy, "MAILCTL_CREDENTIAL_ENV": "OTHER_*"}
    refused = credentials_for(target("LEGACY_USER", "LEGACY_PASSWORD"), other)
    assert isinstance(refused, str) and "not allowed for credentials" in refused
    broken = credentials_for(
        target("LEGACY_USER", "LEGACY_PASSWORD"), {**legacy, "MAILCTL_CREDENTIAL_ENV": "*"}
    )
    assert isinstance(broken, str) and broken.startswith("login not checked: MAILCTL_CREDENTIAL")

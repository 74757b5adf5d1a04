"""``inbox verify`` through its use case, against real Dovecot mailboxes on loopback."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from reconciler.app import verify
from reconciler.app.inbox import NotConnected
from reconciler.errors import InputError
from reconciler.plan.status import EXIT_CHECK_FAILED, EXIT_OK
from tests.checks import servers
from tests.checks.pki import Pki
from tests.verify.conftest import Mailservers
from tests.verify.verify_support import ALICE_ENV, CAROL, DELIVERED, options, store_with

WRONG = "not-the-password-3c9e1b7d"


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_a_mailbox_is_verified_with_what_a_connector_needs(
    tmp_path: Path, pki: Pki, mailservers: Mailservers, security: str
) -> None:
    good = mailservers.good
    port = good.tls_port if security == "ssl" else good.plain_port
    url = store_with(tmp_path, port, security)
    done = verify.verify(options(url, pki))
    assert done.problem is None, done.problem
    assert done.status == EXIT_OK
    mailbox = done.mailbox
    assert mailbox is not None
    assert mailbox.messages == DELIVERED
    assert mailbox.uidvalidity is not None and mailbox.uidvalidity > 0
    assert mailbox.idle is True
    assert {"INBOX", "Projects"} <= set(mailbox.folders)
    assert mailbox.folder_total == len(mailbox.folders)
    assert mailbox.quota is not None
    assert [(q.resource, q.limit) for q in mailbox.quota] == [("STORAGE", 10 * 1024)]
    assert done.outcome.tls_version in ("TLSv1.2", "TLSv1.3")
    assert done.outcome.certificate is not None and done.outcome.certificate.trusted
    assert done.outcome.connected_address == "127.0.0.1"
    assert done.username_from == "$MAIL_LOGIN_USER"


def test_the_user_name_defaults_to_the_address(
    tmp_path: Path, pki: Pki, mailservers: Mailservers
) -> None:
    url = store_with(tmp_path, mailservers.good.tls_port, "ssl", connected=(CAROL[0],))
    env = {"MAIL_LOGIN_PASSWORD": CAROL[1]}
    done = verify.verify(options(url, pki, address=CAROL[0], env=env, username_env=None))
    assert done.problem is None, done.problem
    assert done.username_from == "the address"
    assert done.mailbox is not None and done.mailbox.messages == 0


def test_a_wrong_password_fails_authentication_and_is_never_shown(
    tmp_path: Path, pki: Pki, mailservers: Mailservers, caplog: pytest.LogCaptureFixture
) -> None:
    url = store_with(tmp_path, mailservers.good.tls_port, "ssl")
    env = {**ALICE_ENV, "MAIL_LOGIN_PASSWORD": WRONG}
    with caplog.at_level(logging.DEBUG):
        done = verify.verify(options(url, pki, env=env))
    assert done.status == EXIT_CHECK_FAILED
    assert done.problem is not None
    assert (done.problem.kind, done.problem.step) == ("authentication", "login")
    assert done.problem.reason.startswith("authentication failed: ")
    assert "--password-env" in done.problem.hint
    assert WRONG not in repr(done)
    assert WRONG not in caplog.text
    assert caplog.records  # imapclient logged something, and not the password


def test_logindisabled_on_a_plaintext_connection(
    tmp_path: Path, pki: Pki, mailservers: Mailservers
) -> None:
    # Dovecot trusts 127.0.0.1 as secure; from 127.0.0.2 it refuses plaintext logins.
    url = store_with(tmp_path, mailservers.good.plain_port, "none")
    done = verify.verify(options(url, pki, to="127.0.0.2", allow_plaintext_login=True))
    assert done.problem is not None
    assert (done.problem.kind, done.problem.step) == ("login-disabled", "login")
    assert "LOGINDISABLED" in done.problem.reason
    assert done.status == EXIT_CHECK_FAILED


def test_security_none_sends_no_password_unless_allowed(tmp_path: Path, pki: Pki) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        url = store_with(tmp_path, listener.getsockname()[1], "none")
        done = verify.verify(options(url, pki))
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked
    assert done.problem is not None
    assert done.problem.kind == "plaintext-refused"
    assert "--allow-plaintext-login" in done.problem.hint
    assert done.outcome.connected_address is None
    assert done.status == EXIT_CHECK_FAILED


def test_starttls_must_be_offered(tmp_path: Path, pki: Pki, mailservers: Mailservers) -> None:
    url = store_with(tmp_path, mailservers.no_tls.plain_port, "starttls")
    done = verify.verify(options(url, pki))
    assert done.problem is not None
    assert (done.problem.kind, done.problem.step) == ("starttls", "starttls")
    assert "refusing to continue in plaintext" in done.problem.reason


def test_a_self_signed_certificate_is_refused_unless_the_domain_allows_it(
    tmp_path: Path, pki: Pki, mailservers: Mailservers
) -> None:
    port = mailservers.self_signed.tls_port
    refused = verify.verify(options(store_with(tmp_path / "a", port, "ssl"), pki))
    assert refused.problem is not None
    assert (refused.problem.kind, refused.problem.step) == ("certificate", "tls")
    assert refused.problem.reason == "certificate is self-signed"
    assert refused.outcome.certificate is not None
    assert refused.outcome.certificate.sha256 == pki.self_signed.sha256
    pinned = store_with(tmp_path / "b", port, "ssl", insecure=True, pin=pki.self_signed.sha256)
    allowed = verify.verify(options(pinned, pki))
    assert allowed.problem is None, allowed.problem
    assert allowed.mailbox is not None and allowed.mailbox.messages == DELIVERED
    other = store_with(tmp_path / "c", port, "ssl", insecure=True, pin=pki.good.sha256)
    mismatch = verify.verify(options(other, pki))
    assert mismatch.problem is not None
    assert "does not match the pinned certificate_sha256" in mismatch.problem.reason


def test_the_guard_refuses_a_private_target_without_connecting(
    tmp_path: Path, pki: Pki, mailservers: Mailservers
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        url = store_with(tmp_path, listener.getsockname()[1], "ssl")
        done = verify.verify(options(url, pki, allow_private=False))
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked
    assert done.problem is not None
    assert (done.problem.kind, done.problem.step) == ("refused", "guard")
    assert "127.0.0.1 (loopback address)" in done.problem.reason
    assert "--allow-private-targets" in done.problem.hint


def test_a_refused_connection_and_a_silent_server(tmp_path: Path, pki: Pki) -> None:
    url = store_with(tmp_path / "a", servers.closed_port(), "ssl")
    refused = verify.verify(options(url, pki))
    assert refused.problem is not None and refused.problem.kind == "connection-refused"
    with servers.silent_listener() as port:
        url = store_with(tmp_path / "b", port, "ssl")
        silent = verify.verify(options(url, pki, deadline=1.0))
    assert silent.problem is not None
    assert (silent.problem.kind, silent.problem.step) == ("timeout", "tls")
    assert silent.problem.reason == (
        "no result within the 1 s deadline (stopped during the TLS handshake)"
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MAIL_LOGIN_USER": "alice"}, "MAIL_LOGIN_PASSWORD is not set"),
        ({"MAIL_LOGIN_PASSWORD": "x"}, "MAIL_LOGIN_USER is not set"),
        ({"MAIL_LOGIN_USER": "alice", "MAIL_LOGIN_PASSWORD": ""}, "MAIL_LOGIN_PASSWORD is empty"),
    ],
)
def test_a_missing_variable_is_an_input_error_naming_it(
    tmp_path: Path, pki: Pki, env: dict[str, str], named: str
) -> None:
    url = store_with(tmp_path, 993, "ssl")
    with pytest.raises(InputError) as missing:
        verify.verify(options(url, pki, env=env))
    assert named in str(missing.value)


def test_a_variable_the_policy_refuses_is_never_read(tmp_path: Path, pki: Pki) -> None:
    url = store_with(tmp_path, 993, "ssl")
    opts = options(url, pki, env={"GITHUB_TOKEN": "ghs_secret", **ALICE_ENV})
    refused = verify.VerifyOptions(
        opts.address, "GITHUB_TOKEN", opts.username_env, url, opts.targets, env=opts.env
    )
    with pytest.raises(InputError) as error:
        verify.verify(refused)
    assert "--password-env names GITHUB_TOKEN" in str(error.value)
    assert "ghs_secret" not in str(error.value)


def test_an_inbox_not_connected_is_an_input_error(tmp_path: Path, pki: Pki) -> None:
    url = store_with(tmp_path, 993, "ssl", connected=())
    with pytest.raises(NotConnected):
        verify.verify(options(url, pki))


def test_connect_verify_stores_the_inbox_only_when_it_verifies(
    tmp_path: Path, pki: Pki, mailservers: Mailservers
) -> None:
    from reconciler.app.inbox import ListOptions, list_inboxes

    url = store_with(tmp_path, mailservers.good.tls_port, "ssl", connected=())
    bad = verify.connect_verified(
        options(url, pki, env={**ALICE_ENV, "MAIL_LOGIN_PASSWORD": WRONG})
    )
    assert (bad.status, bad.connected) == (EXIT_CHECK_FAILED, None)
    assert list_inboxes(ListOptions(state_url=url)).inboxes == ()
    good = verify.connect_verified(options(url, pki))
    assert good.status == EXIT_OK
    assert good.connected is not None and good.connected.new
    assert [i.inbox.address for i in list_inboxes(ListOptions(state_url=url)).inboxes] == [
        "alice@test.example"
    ]


def test_a_server_line_past_the_bound_stops_the_session(tmp_path: Path, pki: Pki) -> None:
    import threading

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"* OK " + b"x" * (70 * 1024) + b"\r\n")
                conn.recv(1)

        threading.Thread(target=serve, daemon=True).start()
        url = store_with(tmp_path, listener.getsockname()[1], "none")
        done = verify.verify(options(url, pki, allow_plaintext_login=True))
    assert done.problem is not None
    assert (done.problem.kind, done.problem.step) == ("overrun", "greeting")
    assert "line longer than 65,536 bytes" in done.problem.reason


def test_the_folder_list_is_capped_and_says_how_many(
    tmp_path: Path, pki: Pki, mailservers: Mailservers
) -> None:
    from tests.verify.conftest import deliver

    home = mailservers.good.directory / "home" / "canary"
    deliver(home, 0)
    for n in range(1005):
        for part in ("new", "cur", "tmp"):
            (home / "Maildir" / f".f{n:04d}" / part).mkdir(parents=True)
    deliver(home, 0)  # owner again, folders included
    url = store_with(tmp_path, mailservers.good.tls_port, "ssl", connected=("canary@test.example",))
    env = {"MAIL_LOGIN_USER": "canary", "MAIL_LOGIN_PASSWORD": servers.USERS["canary"]}
    done = verify.verify(options(url, pki, address="canary@test.example", env=env, deadline=240))
    assert done.mailbox is not None, done.problem
    assert len(done.mailbox.folders) == 1000
    assert done.mailbox.folder_total == 1005 + 2  # INBOX and Projects too

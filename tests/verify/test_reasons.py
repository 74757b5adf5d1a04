"""The mapping of failures to a reason and a hint: pure, no server needed."""

from __future__ import annotations

import imaplib
import ssl

import pytest
from imapclient.exceptions import LoginError

from reconciler.mailbox.reasons import HINTS, Overrun, classify
from reconciler.plan.servertext import ServerText


def _login_error_after_bye() -> LoginError:
    try:
        try:
            raise imaplib.IMAP4.abort("[UNAVAILABLE] Server shutting down.")
        except imaplib.IMAP4.error as e:
            raise LoginError(str(e)) from None  # imapclient re-raises this way (context kept)
    except LoginError as error:
        error.__context__ = imaplib.IMAP4.abort("[UNAVAILABLE] Server shutting down.")
        return error


@pytest.mark.parametrize(
    ("error", "step", "kind", "reason"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "connect", "connection-refused",
         "connection refused"),
        (TimeoutError("timed out"), "greeting", "timeout",
         "timed out while waiting for the greeting"),
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "tls", "tls",
         "TLS failed during the TLS handshake ([SSL: WRONG_VERSION_NUMBER] wrong version number)"),
        (LoginError("login failed: [AUTHENTICATIONFAILED] Authentication failed."), "login",
         "authentication", 'authentication failed: "login failed: [AUTHENTICATIONFAILED] '
         'Authentication failed."'),
        (imaplib.IMAP4.abort("Disconnected for inactivity."), "folders", "bye",
         'the server said BYE while listing folders: "Disconnected for inactivity."'),
        (_login_error_after_bye(), "login", "bye",
         'the server said BYE while logging in: "[UNAVAILABLE] Server shutting down."'),
        (imaplib.IMAP4.abort("socket error: EOF"), "examine", "closed",
         "the server closed the connection while examining INBOX"),
        (imaplib.IMAP4.error("select failed: Mailbox doesn't exist: INBOX"), "examine",
         "mailbox-missing",
         'INBOX cannot be examined: "select failed: Mailbox doesn\'t exist: INBOX"'),
        (imaplib.IMAP4.error("* BYE Too many connections"), "greeting", "bye",
         'the server refused the session: "* BYE Too many connections"'),
        (Overrun("the server sent a line longer than 65,536 bytes"), "folders", "overrun",
         "the server sent a line longer than 65,536 bytes while listing folders"),
        (ValueError("odd"), "quota", "protocol", "unexpected ValueError while reading the quota"),
    ],
)  # fmt: skip
def test_each_failure_has_one_line_and_a_hint(
    error: BaseException, step: str, kind: str, reason: str
) -> None:
    found = classify(error, step, ServerText().quote)  # type: ignore[arg-type]
    assert (found.kind, found.step, found.reason) == (kind, step, reason)
    assert found.hint == HINTS[found.kind]
    assert "\n" not in found.reason + found.hint


def test_server_words_are_scrubbed_of_the_password() -> None:
    said = LoginError("login failed: unknown user with password Hunter2-secret")
    found = classify(said, "login", ServerText(["hunter2-secret"]).quote)
    assert "Hunter2" not in found.reason and "***" in found.reason

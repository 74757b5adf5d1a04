"""Why a verification failed, for a person: one line and a hint per kind. Pure.

The session raises :class:`VerifyFailure` for what it decides itself (the guard, the
TLS policy, LOGINDISABLED); :func:`classify` maps every exception the socket, the TLS
layer, imaplib and imapclient raise to the same :class:`Problem`. Server words reach a
reason only through the ``quote`` function given (which scrubs the password).
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal[
    "refused",
    "plaintext-refused",
    "resolve",
    "connection-refused",
    "connect",
    "timeout",
    "tls",
    "certificate",
    "starttls",
    "login-disabled",
    "authentication",
    "bye",
    "closed",
    "mailbox-missing",
    "overrun",
    "protocol",
]

Step = Literal[
    "resolve", "guard", "connect", "tls", "greeting", "starttls", "login", "folders",
    "examine", "quota", "logout",
]  # fmt: skip

HINTS: Final[dict[Kind, str]] = {
    "refused": "the address is not public; pass --allow-private-targets to verify it anyway",
    "plaintext-refused": "use security: starttls or ssl in domains.yaml, or pass "
    "--allow-plaintext-login to send the password unencrypted anyway",
    "resolve": "check the IMAP host name in domains.yaml, or pin it with --resolve HOST=ADDRESS",
    "connection-refused": "nothing listens there: check the IMAP port in domains.yaml",
    "connect": "check the IMAP host and port in domains.yaml and the network between",
    "timeout": "the server is slow or a firewall drops packets; check host and port, or "
    "allow more time with --deadline",
    "tls": "check the security setting (ssl for an implicit-TLS port such as 993, "
    "starttls for 143)",
    "certificate": "fix the server's certificate, or set allow_non_secure_certificate and "
    "pin certificate_sha256 for the domain",
    "starttls": "the server must offer STARTTLS: fix the server, or use security: ssl on "
    "its implicit-TLS port",
    "login-disabled": "the server accepts no login on this connection: use security: "
    "starttls or ssl",
    "authentication": "check the user name and password in the variables named by "
    "--username-env and --password-env",
    "bye": "the server ended the session: read its words above; the account may be "
    "disabled or the server overloaded",
    "closed": "the server closed the connection: is the security setting right for this port?",
    "mailbox-missing": "the account has no INBOX the server lets it open: check the account",
    "overrun": "the server sent more than mailctl reads; this is not a usable IMAP server",
    "protocol": "the server's answer is not what IMAP expects: is this an IMAP port?",
}

_WHILE: Final[dict[Step, str]] = {
    "resolve": "while resolving the host name",
    "guard": "before connecting",
    "connect": "while connecting",
    "tls": "during the TLS handshake",
    "greeting": "while waiting for the greeting",
    "starttls": "during STARTTLS",
    "login": "while logging in",
    "folders": "while listing folders",
    "examine": "while examining INBOX",
    "quota": "while reading the quota",
    "logout": "while logging out",
}


def during(step: Step) -> str:
    """Where a verification was, for a sentence: "while logging in"."""
    return _WHILE[step]


@dataclass(frozen=True)
class Problem:
    """A failed verification: its kind, the step it failed at, one line, a hint."""

    kind: Kind
    step: Step
    reason: str
    hint: str


def problem(kind: Kind, step: Step, reason: str) -> Problem:
    return Problem(kind, step, reason, HINTS[kind])


class VerifyFailure(Exception):
    """The session decided the verification failed; carries the :class:`Problem`."""

    def __init__(self, found: Problem) -> None:
        super().__init__(found.reason)
        self.problem = found


class Overrun(Exception):
    """The server sent more than a bound allows (a line, a literal, the session)."""


def _plain(text: str) -> str:
    return text


def classify(error: BaseException, step: Step, quote: Callable[[str], str] = _plain) -> Problem:
    """The :class:`Problem` an exception raised at ``step`` means. Never raises."""
    if isinstance(error, VerifyFailure):
        return error.problem
    where = _WHILE[step]
    if isinstance(error, Overrun):
        return problem("overrun", step, f"{error} {where}")
    if isinstance(error, TimeoutError):  # socket.timeout is TimeoutError
        return problem("timeout", step, f"timed out {where}")
    if isinstance(error, ssl.SSLCertVerificationError):
        return problem(
            "certificate", step, f"certificate verification failed: {error.verify_message}"
        )
    if isinstance(error, ssl.SSLError):
        reason = getattr(error, "reason", None) or error.strerror or type(error).__name__
        return problem("tls", step, f"TLS failed {where} ({reason})")
    if isinstance(error, ConnectionRefusedError):
        return problem("connection-refused", step, "connection refused")
    if isinstance(error, socket.gaierror):
        return problem("resolve", step, "host name does not resolve")
    if isinstance(error, OSError):
        text = error.strerror or type(error).__name__
        kind: Kind = "closed" if isinstance(error, ConnectionError) else "connect"
        return problem(kind, step, f"connection failed {where}: {text}")
    if isinstance(error, imaplib.IMAP4.error):
        return _imap(error, step, quote)
    return problem("protocol", step, f"unexpected {type(error).__name__} {where}")


def _imap(error: imaplib.IMAP4.error, step: Step, quote: Callable[[str], str]) -> Problem:
    said = str(error)
    cause = error.__context__
    if isinstance(cause, imaplib.IMAP4.abort):  # imapclient re-raises login's as LoginError
        return _imap(cause, step, quote)
    if isinstance(error, imaplib.IMAP4.abort):
        if said.startswith("socket error"):
            return problem("closed", step, f"the server closed the connection {_WHILE[step]}")
        return problem("bye", step, f"the server said BYE {_WHILE[step]}: {quote(said)}")
    if step == "greeting" and "BYE" in said.upper()[:8]:
        return problem("bye", step, f"the server refused the session: {quote(said)}")
    if step == "login":
        return problem("authentication", step, f"authentication failed: {quote(said)}")
    if step == "examine":
        return problem("mailbox-missing", step, f"INBOX cannot be examined: {quote(said)}")
    if step == "starttls":
        return problem("starttls", step, f"STARTTLS refused: {quote(said)}")
    return problem("protocol", step, f"the server answered {quote(said)} {_WHILE[step]}")

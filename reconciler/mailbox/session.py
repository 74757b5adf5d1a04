"""The steps of one verification, blocking (run in a worker thread by :mod:`run`).

TCP to the one address the guard allowed; TLS as the domain's policy says (implicit,
or STARTTLS, which must be offered and succeed: never a fall-back to plaintext; for
``none``, no password is sent unless the operator allowed it); the certificate judged
as the live checks judge it (trusted CA and host name, or, when the domain allows a
non-secure certificate, its pin). Then imapclient: LOGIN, LIST, EXAMINE INBOX (read
only), the capabilities (IDLE, QUOTA) and GETQUOTAROOT INBOX, LOGOUT.

Every step that can fail raises; :func:`~reconciler.mailbox.reasons.classify` names
the failure with :attr:`Trace.step`. The password is sent once, in LOGIN, and appears
in nothing this module returns or raises.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any, Final

from reconciler.checks import certificate as certs
from reconciler.mailbox.client import AdoptedClient
from reconciler.mailbox.reasons import Step, VerifyFailure, problem
from reconciler.net.tls import reading_context, verifying_context
from reconciler.plan.evidence import Certificate
from reconciler.plan.servertext import ServerText

MAX_FOLDERS: Final = 1000  # folder names reported; the total is reported too


@dataclass(frozen=True)
class Server:
    """Where and how to connect: the domain's IMAP endpoint and certificate policy,
    and the address the guard allowed."""

    host: str
    port: int
    security: str  # ssl, starttls or none
    address: str
    allow_non_secure: bool = False
    pin: str | None = None
    allow_plaintext_login: bool = False
    ca_file: str | None = None  # None: the system's CA bundle


@dataclass(frozen=True)
class Login:
    username: str
    password: str = field(repr=False)

    def secret_forms(self) -> tuple[str, ...]:
        return (self.password,)


@dataclass(frozen=True)
class QuotaUse:
    root: str
    resource: str
    usage: int
    limit: int


@dataclass(frozen=True)
class Mailbox:
    """What a connector needs to know about the inbox."""

    folders: tuple[str, ...]  # at most MAX_FOLDERS, in the server's order
    folder_total: int
    messages: int
    uidvalidity: int | None
    uidnext: int | None
    idle: bool
    quota: tuple[QuotaUse, ...] | None  # None: the server offers no QUOTA
    capabilities: tuple[str, ...]


@dataclass
class Trace:
    """Where the session is and what it learnt; shared with the thread that waits."""

    text: ServerText
    step: Step = "connect"
    connected: str | None = None  # the address a connection was opened to
    descriptors: list[int] = field(default_factory=list)
    tls_version: str | None = None
    certificate: Certificate | None = None
    warnings: list[str] = field(default_factory=list)

    def cut(self) -> None:
        """Shut down every connection the session opened (from another thread: a
        blocked read then returns at once). A duplicate descriptor is shut down, so
        the session's own socket objects stay valid."""
        for fd in self.descriptors:
            try:
                with socket.socket(fileno=os.dup(fd)) as twin:
                    twin.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # closed already


def verify(server: Server, login: Login, trace: Trace, timeout: float) -> Mailbox:
    """Log in and read the mailbox facts; raises on any failure (see module doc)."""
    if server.security == "none" and not server.allow_plaintext_login:
        raise VerifyFailure(
            problem(
                "plaintext-refused",
                "guard",
                "the domain's IMAP security is none: the password would cross the network "
                "unencrypted, so it was not sent (nothing was connected to)",
            )
        )
    if not login.password.isascii() or any(c in login.password for c in "\0\r\n"):
        raise VerifyFailure(
            problem(
                "authentication",
                "login",
                "the password holds a non-ASCII, NUL or line-break character, which IMAP "
                "LOGIN cannot send; no login was attempted",
            )
        )
    client = _secured(server, trace, timeout)
    try:
        found = _mailbox(client, login, trace)
    except BaseException:
        _close(client)  # trace.step still names the step that failed
        raise
    trace.step = "logout"
    try:
        client.logout()
    except Exception:  # the facts are in; a clumsy goodbye changes nothing
        _close(client)
    return found


def _close(client: Any) -> None:
    with contextlib.suppress(OSError):  # closed already
        client.shutdown()


def _connect(server: Server, trace: Trace, timeout: float) -> socket.socket:
    trace.step = "connect"
    sock = socket.create_connection((server.address, server.port), timeout=timeout)
    trace.descriptors.append(sock.fileno())
    trace.connected = server.address
    return sock


def _open(server: Server, trace: Trace, timeout: float, context: ssl.SSLContext) -> Any:
    """A client past TLS (implicit or STARTTLS) with ``context``, or in plaintext."""
    sock = _connect(server, trace, timeout)
    try:
        if server.security == "ssl":
            trace.step = "tls"
            sock = context.wrap_socket(sock, server_hostname=server.host)
        trace.step = "greeting"
        client = AdoptedClient(
            sock, server.host, server.port, tls=server.security == "ssl", timeout=timeout
        )
    except BaseException:
        sock.close()
        raise
    if server.security == "starttls":
        _starttls(client, context, trace)
    return client


def _starttls(client: Any, context: ssl.SSLContext, trace: Trace) -> None:
    trace.step = "starttls"
    if client._imap.state != "NONAUTH":
        client.shutdown()
        raise VerifyFailure(
            problem(
                "starttls",
                "starttls",
                "the server greeted with PREAUTH, so STARTTLS is impossible; "
                "refusing to continue in plaintext",
            )
        )
    if not client.has_capability("STARTTLS"):
        client.shutdown()
        raise VerifyFailure(
            problem(
                "starttls",
                "starttls",
                "the server does not advertise STARTTLS; refusing to continue in plaintext",
            )
        )
    try:
        client.starttls(context)
    except BaseException:
        client.shutdown()
        raise


def _secured(server: Server, trace: Trace, timeout: float) -> Any:
    """A client under TLS whose certificate passed the domain's policy (or in plaintext
    for security none). A certificate that fails verification is read again over an
    unverified connection: to continue on it when the domain allows a non-secure
    certificate, else only to name its fingerprint (no password is sent on it)."""
    if server.security == "none":
        return _open(server, trace, timeout, reading_context())
    try:
        client = _open(server, trace, timeout, verifying_context(server.ca_file))
        trusted = True
    except ssl.SSLCertVerificationError as error:
        if not server.allow_non_secure:
            raise VerifyFailure(_refused(server, trace, timeout, error)) from None
        client = _open(server, trace, timeout, reading_context())
        trusted = False
    tls = client.socket()
    trace.tls_version = tls.version()
    der = tls.getpeercert(binary_form=True)
    if der is None:
        client.shutdown()
        raise VerifyFailure(problem("certificate", "tls", "the server sent no certificate"))
    cert = trace.certificate = certs.facts(der, trusted=trusted)
    found, warnings = certs.judge(
        cert,
        trusted=trusted,
        host=server.host,
        allow_non_secure=server.allow_non_secure,
        pin=server.pin,
        now=dt.datetime.now(dt.UTC),
    )
    trace.warnings.extend(warnings)
    if found is not None:
        client.shutdown()
        raise VerifyFailure(problem("certificate", "tls", found))
    return client


def _refused(
    server: Server, trace: Trace, timeout: float, error: ssl.SSLCertVerificationError
) -> Any:
    found = None
    try:
        probe = _open(server, trace, timeout, reading_context())
        der = probe.socket().getpeercert(binary_form=True)
        probe.shutdown()
        found = certs.facts(der, trusted=False) if der else None
    except Exception:  # the verification failure is the finding; the fingerprint a bonus
        pass
    trace.certificate = found
    message = certs.verification_message(
        error.verify_code, error.verify_message, server.host, found, pin_hint=False
    )
    return problem("certificate", "tls", message)


def _mailbox(client: Any, login: Login, trace: Trace) -> Mailbox:
    trace.step = "login"
    if client.has_capability("LOGINDISABLED"):
        raise VerifyFailure(
            problem(
                "login-disabled",
                "login",
                "the server advertises LOGINDISABLED on this connection; no login was attempted",
            )
        )
    client.login(login.username, login.password)
    trace.step = "folders"
    listed = client.list_folders()
    names = tuple(trace.text.token(str(name), 200) for _, _, name in listed[:MAX_FOLDERS])
    trace.step = "examine"
    examined = client.select_folder("INBOX", readonly=True)
    capabilities = tuple(c.decode("ascii", "replace") for c in client.capabilities())
    quota = None
    if "QUOTA" in capabilities:
        trace.step = "quota"
        _, quotas = client.get_quota_root("INBOX")
        quota = tuple(
            QuotaUse(trace.text.token(q.quota_root), q.resource, int(q.usage), int(q.limit))
            for q in quotas
        )
    return Mailbox(
        folders=names,
        folder_total=len(listed),
        messages=int(examined.get(b"EXISTS", 0)),
        uidvalidity=_number(examined.get(b"UIDVALIDITY")),
        uidnext=_number(examined.get(b"UIDNEXT")),
        idle="IDLE" in capabilities,
        quota=quota,
        capabilities=tuple(trace.text.token(c) for c in capabilities),
    )


def _number(value: object) -> int | None:
    return value if isinstance(value, int) else None

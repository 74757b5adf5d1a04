"""Verify one inbox: resolve the IMAP host once, judge the addresses with the SSRF
guard, then run the session in a worker thread under a deadline. Never raises for a
network or server problem: every outcome is a :class:`Outcome`.

The deadline covers everything after the name is resolved. imapclient blocks, so the
session runs in a thread (its socket operations time out at the deadline too); when
the deadline passes, the session's connections are shut down, which ends any read it
is blocked in, and the outcome says where it was stopped.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.mailbox.reasons import Problem, Step, classify, during, problem
from reconciler.mailbox.session import Login, Mailbox, Server, Trace, verify
from reconciler.net.guard import judged
from reconciler.net.resolver import (
    NameNotResolved,
    Resolver,
    pinned_resolver,
    resolve,
    system_resolver,
)
from reconciler.plan.evidence import Certificate
from reconciler.plan.servertext import ServerText

STEP_TIMEOUT = 10.0  # resolving the name; and the wait for a cut session to end


@dataclass(frozen=True)
class Endpoint:
    """The domain's IMAP settings and certificate policy."""

    host: str
    port: int
    security: str
    allow_non_secure: bool = False
    pin: str | None = None


@dataclass(frozen=True)
class Reaching:
    """How the verification may reach the server (the flags ``check`` takes too)."""

    allow_private: bool = False
    pinned: Mapping[str, Sequence[str]] | None = None
    ca_file: str | None = None
    allow_plaintext_login: bool = False
    deadline: float = 30.0


@dataclass(frozen=True)
class Outcome:
    """The mailbox facts, or the problem; what was learnt on the way either way."""

    mailbox: Mailbox | None
    problem: Problem | None
    addresses: tuple[str, ...]
    connected_address: str | None
    tls_version: str | None
    certificate: Certificate | None
    warnings: tuple[str, ...]


def verify_inbox(
    endpoint: Endpoint,
    login: Login,
    reaching: Reaching,
    resolver: Resolver = system_resolver,
) -> Outcome:
    """Verify ``login`` at ``endpoint``; see the module doc."""
    trace = Trace(ServerText(login.secret_forms()))
    addresses: list[str] = []

    def ended(found: Problem) -> Outcome:
        return Outcome(
            None,
            found,
            tuple(addresses),
            trace.connected,
            trace.tls_version,
            trace.certificate,
            tuple(trace.warnings),
        )

    try:
        found = asyncio.run(
            resolve(
                endpoint.host,
                endpoint.port,
                pinned_resolver(reaching.pinned or {}, resolver),
                STEP_TIMEOUT,
            )
        )
    except NameNotResolved as error:
        return ended(problem("resolve", "resolve", str(error)))
    except TimeoutError:
        return ended(problem("timeout", "resolve", "timed out while resolving the host name"))
    addresses.extend(str(a) for a in found)
    allowed = found
    if not reaching.allow_private:
        allowed, listed = judged(found)
        if not allowed:
            reason = f"refused to connect: every address is non-public: {listed}"
            return ended(problem("refused", "guard", reason))
        if listed:
            trace.warnings.append(f"skipped non-public addresses: {listed}")
    address = str(allowed[0])
    server = Server(
        endpoint.host,
        endpoint.port,
        endpoint.security,
        address,
        allow_non_secure=endpoint.allow_non_secure,
        pin=endpoint.pin,
        allow_plaintext_login=reaching.allow_plaintext_login,
        ca_file=reaching.ca_file,
    )
    mailbox, failure = _in_thread(server, login, trace, reaching.deadline)
    if failure is not None:
        return ended(failure)
    return Outcome(
        mailbox,
        None,
        tuple(addresses),
        trace.connected,
        trace.tls_version,
        trace.certificate,
        tuple(trace.warnings),
    )


_SOCKET_GRACE = 1.0  # seconds the socket outlasts the deadline


def _in_thread(
    server: Server, login: Login, trace: Trace, deadline: float
) -> tuple[Mailbox | None, Problem | None]:
    result: list[Mailbox] = []
    errors: list[BaseException] = []
    steps: list[Step] = []

    def work() -> None:
        try:
            # The socket waits a little longer than the deadline, so that a silent
            # server is always reported by the deadline below, not by whichever of
            # the two timers a loaded machine happens to run first.
            result.append(verify(server, login, trace, deadline + _SOCKET_GRACE))
        except BaseException as error:  # carried to the waiting thread, classified there
            steps.append(trace.step)
            errors.append(error)

    worker = threading.Thread(target=work, name="mailctl-inbox-verify", daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        stopped = trace.step
        trace.cut()
        worker.join(STEP_TIMEOUT)
        reason = f"no result within the {deadline:g} s deadline (stopped {during(stopped)})"
        return None, problem("timeout", stopped, reason)
    if errors:
        return None, classify(errors[0], steps[0], lambda said: trace.text.quote(said))
    return result[0], None

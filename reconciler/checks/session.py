"""The edge between a check and the network: one connection, its steps and evidence.

``Trace`` collects evidence while a check runs and becomes the frozen ``CheckResult``.
``Connection`` reads and writes lines with a timeout per step. Protocol modules raise
``CheckFailure`` for anything a person must fix; the engine turns it into a result.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from reconciler.checks.wire import Budget, Wire
from reconciler.plan.evidence import (
    Certificate,
    CheckResult,
    CheckTarget,
    Step,
    Timing,
    Verdict,
)
from reconciler.plan.servertext import ServerText

Connector = Callable[[str, int], Awaitable[Wire]]
"""``await connector(address, port)`` -> an open TCP connection to exactly that address."""

STEP_BYTES = 256 * 1024  # what one step may read from a server, all lines together
MAX_RESPONSE_LINES = 100  # lines of one reply: untagged IMAP lines, SMTP continuations

_WAITING_FOR: dict[Step, str] = {
    "resolve": "resolving the host name",
    "connect": "connecting",
    "greeting": "waiting for the greeting",
    "capability": "waiting for the capabilities",
    "starttls": "waiting for the STARTTLS answer",
    "tls": "during the TLS handshake",
    "certificate": "reading the certificate",
    "login": "waiting for the login answer",
    "logout": "logging out",
}


async def open_tcp(address: str, port: int) -> Wire:
    """The default connector: a plain TCP connection to an already-checked address."""
    return await Wire.open(address, port)


def waiting_for(step: Step) -> str:
    """How a person says where a check was: "while connecting", "during the TLS ..."."""
    phrase = _WAITING_FOR.get(step, step)
    return phrase if phrase.startswith("during") else f"while {phrase}"


class CheckFailure(Exception):
    """A check found a problem; ``message`` is for a person (without the host:port)."""

    def __init__(self, step: Step, message: str, verdict: Verdict = "failed") -> None:
        super().__init__(message)
        self.step: Step = step
        self.message = message
        self.verdict: Verdict = verdict


@dataclass
class Trace:
    """Mutable evidence of one running check; ``result()`` freezes it."""

    target: CheckTarget
    step_timeout: float
    current: Step = "resolve"
    addresses: list[str] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)
    connected_address: str | None = None
    tls_version: str | None = None
    cipher: str | None = None
    certificate: Certificate | None = None
    capabilities: tuple[str, ...] = ()
    auth_mechanisms: tuple[str, ...] = ()
    login_disabled: bool = False
    logged_in: bool | None = None
    warnings: list[str] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=list)
    failure: CheckFailure | None = None
    text: ServerText = field(default_factory=ServerText)
    budget: Budget = field(default_factory=lambda: Budget(STEP_BYTES))

    @property
    def prefix(self) -> str:
        host = self.target.host
        return f"[{host}]:{self.target.port}" if ":" in host else f"{host}:{self.target.port}"

    def warn(self, sentence: str) -> None:
        self.warnings.append(f"{self.prefix}: {sentence}")

    @asynccontextmanager
    async def step(self, name: Step, *, timeout: float | None = None) -> AsyncIterator[None]:
        """Run one step under its timeout and record how long it took.

        A step timeout becomes a ``CheckFailure`` at that step; the check's overall
        deadline is a different timeout and passes through untouched.
        """
        self.current = name
        self.budget.reset()
        limit = self.step_timeout if timeout is None else timeout
        started = time.perf_counter()
        try:
            async with asyncio.timeout(limit):
                yield
        except TimeoutError:
            raise CheckFailure(name, f"timed out after {limit:g} s {waiting_for(name)}") from None
        finally:
            elapsed = round((time.perf_counter() - started) * 1000, 1)
            self.timings.append(Timing(step=name, milliseconds=elapsed))

    def result(self) -> CheckResult:
        """The frozen evidence. Every string a server could have influenced is scrubbed
        of the check's secrets once more here, whatever path it took into the trace."""
        failure = self.failure
        message = "ok" if failure is None else failure.message
        scrub = self.text.scrub
        cert = self.certificate
        if cert is not None:
            cert = cert.model_copy(
                update={
                    "subject": scrub(cert.subject),
                    "issuer": scrub(cert.issuer),
                    "sans": tuple(scrub(name) for name in cert.sans),
                }
            )
        return CheckResult(
            target=self.target,
            verdict="passed" if failure is None else failure.verdict,
            failed_step=None if failure is None else failure.step,
            message=scrub(f"{self.prefix}: {message}"),
            warnings=tuple(scrub(w) for w in self.warnings),
            addresses=tuple(self.addresses),
            tried_addresses=tuple(self.tried),
            connected_address=self.connected_address,
            tls_version=self.tls_version,
            cipher=self.cipher,
            certificate=cert,
            capabilities=tuple(scrub(c) for c in self.capabilities),
            auth_mechanisms=tuple(scrub(m) for m in self.auth_mechanisms),
            login_disabled=self.login_disabled,
            logged_in=self.logged_in,
            timings=tuple(self.timings),
        )


class Connection:
    """Bounded line I/O on one ``Wire``. Every read counts against the current step's
    byte budget; server text shown to people goes through ``quote`` or ``token``."""

    def __init__(self, wire: Wire, budget: Budget, text: ServerText | None = None) -> None:
        self.wire = wire
        self.budget = budget
        self.text = text or ServerText()
        self.encrypted = False

    async def send(self, data: bytes) -> None:
        self.wire.send(data)

    async def line(self) -> bytes:
        """One line including CRLF; a closed connection is a ``ConnectionError``, a line
        longer than ``MAX_LINE`` or past the step's budget an ``Overrun``."""
        data = await self.wire.line()
        self.budget.spend(len(data))
        return data

    async def exactly(self, size: int) -> bytes:
        data = await self.wire.exactly(size)
        self.budget.spend(len(data))
        return data

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        await self.wire.start_tls(context, server_hostname)
        self.encrypted = True

    @property
    def ssl_object(self) -> ssl.SSLObject | None:
        found = self.wire.extra("ssl_object")
        return found if isinstance(found, ssl.SSLObject) else None

    @property
    def sockname(self) -> object:
        return self.wire.extra("sockname")

    def quote(self, raw: bytes | str, limit: int = 200) -> str:
        """Server words for a sentence, quoted (see ``ServerText.quote``)."""
        return self.text.quote(raw, limit)

    def token(self, raw: bytes | str, limit: int = 100) -> str:
        """A server's word for the evidence (see ``ServerText.token``)."""
        return self.text.token(raw, limit)

    async def close(self) -> None:
        await self.wire.close()

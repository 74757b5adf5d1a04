"""The edge between a check and the network: one connection, its steps and evidence.

``Trace`` collects evidence while a check runs and becomes the frozen ``CheckResult``.
``Connection`` reads and writes lines with a timeout per step. Protocol modules raise
``CheckFailure`` for anything a person must fix; the engine turns it into a result.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

from reconciler.checks.evidence import (
    Certificate,
    CheckResult,
    CheckTarget,
    Step,
    Timing,
    Verdict,
)

Connector = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]
"""``await connector(address, port)`` -> an open TCP stream to exactly that address."""

MAX_LINE = 64 * 1024

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


async def open_tcp(address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """The default connector: a plain TCP connection to an already-checked address."""
    return await asyncio.open_connection(address, port, limit=MAX_LINE)


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
        failure = self.failure
        message = "ok" if failure is None else failure.message
        return CheckResult(
            target=self.target,
            verdict="passed" if failure is None else failure.verdict,
            failed_step=None if failure is None else failure.step,
            message=f"{self.prefix}: {message}",
            warnings=tuple(self.warnings),
            addresses=tuple(self.addresses),
            tried_addresses=tuple(self.tried),
            connected_address=self.connected_address,
            tls_version=self.tls_version,
            cipher=self.cipher,
            certificate=self.certificate,
            capabilities=self.capabilities,
            auth_mechanisms=self.auth_mechanisms,
            login_disabled=self.login_disabled,
            logged_in=self.logged_in,
            timings=tuple(self.timings),
        )


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


class Connection:
    """Line I/O on one stream. Server text shown to people goes through ``quote``,
    which removes control characters and every secret the check holds."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        secrets: Iterable[str] = (),
    ) -> None:
        self.reader = reader
        self.writer = writer
        self._secrets = tuple(s for s in secrets if s)
        self.encrypted = False

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def line(self) -> bytes:
        """One line including CRLF; a closed connection is a ``ConnectionError``."""
        try:
            data = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            raise ConnectionError("the server closed the connection") from None
        except asyncio.LimitOverrunError:
            raise ConnectionError("the server sent a line longer than 64 KiB") from None
        return data

    async def exactly(self, size: int) -> bytes:
        try:
            return await self.reader.readexactly(size)
        except asyncio.IncompleteReadError:
            raise ConnectionError("the server closed the connection") from None

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        # SNI and host name verification use the name; the socket is already connected
        # to the checked address, so no second resolution happens here.
        await self.writer.start_tls(context, server_hostname=server_hostname)
        self.encrypted = True

    @property
    def ssl_object(self) -> ssl.SSLObject | None:
        found = self.writer.get_extra_info("ssl_object")
        return found if isinstance(found, ssl.SSLObject) else None

    def quote(self, raw: bytes | str, limit: int = 200) -> str:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        text = _UNPRINTABLE.sub(" ", text).strip()
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text if len(text) <= limit else text[: limit - 1] + "…"

    async def close(self) -> None:
        """Close politely but boundedly; a peer that never finishes TLS shutdown is cut."""
        self.writer.close()
        closed = False
        with suppress(Exception):
            async with asyncio.timeout(1.0):
                await self.writer.wait_closed()
                closed = True
        if not closed:
            self.writer.transport.abort()

"""Hostile mail servers on loopback: each attacks the checker in one way.

Every server runs a *script* (an async function of a :class:`Peer`) on its own event
loop in a background thread, listening on 127.0.0.x only. Each connection is bounded
twice, so that a checker without bounds cannot make the test suite eat the machine:
it may send at most ``max_bytes`` and it is cut after ``max_seconds``.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from tests.checks.servers import free_port

MAX_BYTES = 64 * 1024 * 1024  # what one connection may send: far above any client bound
MAX_SECONDS = 10.0
FILLER = b"x" * 65536
TOKEN = b"T" * 15000  # one token as long as a line may be (a longer line is refused)
# Control sequences a terminal or a CI log would obey: a window title, a bell, a forged
# workflow command on a line of its own (CR), a colour change.
CONTROLS = b"\x1b]0;owned\x07 \r::error file=forged::forged annotation \x1b[31mred\x1b[0m"


class Exhausted(Exception):
    """The connection sent its ``max_bytes``: the script stops."""


@dataclass
class Peer:
    """One client connection, seen from the hostile server."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    max_bytes: int
    sent: int = 0

    async def send(self, data: bytes) -> None:
        if self.sent + len(data) > self.max_bytes:
            raise Exhausted
        self.writer.write(data)
        await self.writer.drain()  # the client's pace, not ours: our buffer stays small
        self.sent += len(data)

    async def flood(self, chunk: bytes) -> None:
        """Send ``chunk`` again and again until the byte budget is spent."""
        while True:
            await self.send(chunk)

    async def line(self) -> bytes:
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("client closed")
        return line

    async def start_tls(self, context: ssl.SSLContext) -> None:
        plain = self.writer.transport
        try:
            await self.writer.start_tls(context)
        finally:
            if self.writer.transport is None:
                # A client that leaves during the handshake makes asyncio (3.11) leave
                # the writer without a transport, and its __del__ then raises. Give it
                # back the plain transport, closed, and end the script.
                plain.abort()
                self.writer._transport = plain  # type: ignore[attr-defined]
        if self.writer.transport is plain:
            raise ConnectionError("the client left during the TLS handshake")


Script = Callable[[Peer], Awaitable[None]]


@dataclass
class Hostile:
    """A running hostile server; ``connections`` counts the clients it served."""

    host: str
    port: int
    connections: list[int] = field(default_factory=list)


@contextmanager
def hostile_server(
    script: Script,
    *,
    host: str = "127.0.0.1",
    implicit_tls: ssl.SSLContext | None = None,
    max_bytes: int = MAX_BYTES,
    max_seconds: float = MAX_SECONDS,
) -> Iterator[Hostile]:
    """Serve ``script`` on ``host``; with ``implicit_tls`` TLS starts on connect."""
    loop = asyncio.new_event_loop()
    found = Hostile(host, free_port(host))
    open_transports: list[asyncio.BaseTransport] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = Peer(reader, writer, max_bytes)
        found.connections.append(1)
        open_transports.append(writer.transport)
        try:
            async with asyncio.timeout(max_seconds):
                await script(peer)
        except (Exhausted, TimeoutError, OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()

    server = loop.run_until_complete(
        asyncio.start_server(serve, host, found.port, ssl=implicit_tls)
    )
    thread = threading.Thread(target=loop.run_forever, name=f"hostile-{found.port}", daemon=True)
    thread.start()
    try:
        yield found
    finally:

        async def stop() -> None:
            # Cut every connection rather than cancelling its task: each script then
            # ends on its own error, and asyncio logs nothing.
            server.close()
            for transport in open_transports:
                transport.abort()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            with suppress(Exception):
                async with asyncio.timeout(5):
                    await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


# --- IMAP -----------------------------------------------------------------------------


def _tag(command: bytes) -> bytes:
    return command.split(b" ", 1)[0]


async def imap_huge_literal(peer: Peer) -> None:
    """A greeting announcing a 2 GB literal, then bytes for as long as it may."""
    await peer.send(b"* OK {2000000000}\r\n")
    await peer.flood(FILLER)


async def imap_endless_line(peer: Peer) -> None:
    """A greeting that never ends: no line feed, ever."""
    await peer.send(b"* OK ")
    await peer.flood(FILLER)


async def imap_untagged_flood(peer: Peer) -> None:
    """A proper greeting, then untagged lines without end after CAPABILITY."""
    await peer.send(b"* OK IMAP4rev1 ready\r\n")
    await peer.line()
    await peer.flood((b"* OK " + b"x" * 1017 + b"\r\n") * 64)


async def imap_many_literals(peer: Peer) -> None:
    """One capability response made of small literals, each within any literal bound."""
    await peer.send(b"* OK IMAP4rev1 ready\r\n")
    await peer.line()
    await peer.send(b"* CAPABILITY IMAP4rev1 {4000}\r\n")
    await peer.flood(b"y" * 4000 + b" {4000}\r\n")


async def imap_empty_literals(peer: Peer) -> None:
    """A greeting of endless empty literals: tiny in bytes, costly if each is searched
    for again with all before it."""
    await peer.send(b"* OK {0}\r\n")
    await peer.flood(b"{0}\r\n" * 1000)


def imap_starttls_injection(context: ssl.SSLContext) -> Script:
    """Answers STARTTLS with its go-ahead *and*, in the same plaintext packet, forged
    answers to what a client asks next (CAPABILITY, LOGIN). Over TLS, it refuses the
    login: a client that believes the plaintext reports a login that never happened."""

    async def script(peer: Peer) -> None:
        await peer.send(b"* OK IMAP4rev1 ready\r\n")
        while True:
            line = await peer.line()
            tag, verb = _tag(line), line.split(b" ")[1].strip().upper()
            if verb == b"CAPABILITY":
                await peer.send(
                    b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n" + tag + b" OK done\r\n"
                )
            elif verb == b"STARTTLS":
                forged = (
                    b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nm3 OK done\r\n"
                    b"m4 OK [CAPABILITY IMAP4rev1] Logged in\r\nm5 OK bye\r\n"
                )
                await peer.send(tag + b" OK Begin TLS negotiation now\r\n" + forged)
                await peer.start_tls(context)
                await _imap_refusing_logins(peer)
                return

    return script


async def _imap_refusing_logins(peer: Peer) -> None:
    while True:
        line = await peer.line()
        tag, verb = _tag(line), line.split(b" ")[1].strip().upper()
        if verb == b"CAPABILITY":
            await peer.send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
        elif verb == b"LOGIN":
            await peer.send(tag + b" NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
        else:
            await peer.send(b"* BYE\r\n" + tag + b" OK bye\r\n")
            return


def imap_echo(password: str) -> Script:
    """An IMAP server (run it with implicit TLS) that puts ``password`` where a server
    controls the text: the LOGIN status word (``m3 <password>``), the reply text in
    other cases, the LOGOUT answer."""
    secret = password.encode()

    async def script(peer: Peer) -> None:
        await peer.send(b"* OK IMAP4rev1 ready\r\n")
        while True:
            line = await peer.line()
            tag, verb = _tag(line), line.split(b" ")[1].strip().upper()
            if verb == b"CAPABILITY":
                await peer.send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
            elif verb == b"LOGIN":
                echo = secret + b" " + secret.upper() + b" " + secret.lower()
                await peer.send(tag + b" " + echo + b"\r\n")
            else:
                await peer.send(tag + b" NO " + secret.swapcase() + b"\r\n")
                return

    return script


async def imap_controls(peer: Peer) -> None:
    """Capabilities full of control sequences and a 64 KiB token, and no IMAP4rev1:
    the failure message quotes the capabilities."""
    await peer.send(b"* OK IMAP4rev1 ready\r\n")
    line = await peer.line()
    await peer.send(
        b"* CAPABILITY " + CONTROLS + b" AUTH=" + TOKEN + b"\r\n" + _tag(line) + b" OK done\r\n"
    )
    await peer.line()


# --- SMTP -----------------------------------------------------------------------------


async def smtp_banner_flood(peer: Peer) -> None:
    """A ``220-`` banner that never ends."""
    await peer.flood((b"220-" + b"x" * 1018 + b"\r\n") * 64)


async def smtp_ehlo_flood(peer: Peer) -> None:
    """A proper banner, then ``250-`` continuation lines without end after EHLO."""
    await peer.send(b"220 mail.test ESMTP\r\n")
    await peer.line()
    await peer.flood((b"250-" + b"x" * 1018 + b"\r\n") * 64)


async def smtp_endless_line(peer: Peer) -> None:
    await peer.send(b"220 ")
    await peer.flood(FILLER)


def smtp_starttls_injection(context: ssl.SSLContext, delay: float = 0.0) -> Script:
    """Like :func:`imap_starttls_injection` for SMTP: a forged EHLO answer and
    ``235 Authentication successful`` follow the 220 go-ahead in plaintext; over TLS
    the real answer to AUTH is 535. With ``delay``, the forged answers come that many
    seconds after the go-ahead, when the client's handshake has begun."""

    async def script(peer: Peer) -> None:
        await peer.send(b"220 mail.test ESMTP\r\n")
        await peer.line()  # EHLO
        await peer.send(b"250-mail.test\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n")
        await peer.line()  # STARTTLS
        forged = (
            b"250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n"
            b"235 2.7.0 Authentication successful\r\n221 bye\r\n"
        )
        if delay:
            await peer.send(b"220 2.0.0 Ready to start TLS\r\n")
            await asyncio.sleep(delay)
            await peer.send(forged)
            await peer.reader.read()  # until the client gives up
            return
        await peer.send(b"220 2.0.0 Ready to start TLS\r\n" + forged)
        await peer.start_tls(context)
        while True:
            verb = (await peer.line()).split(b" ")[0].strip().upper()
            if verb == b"EHLO":
                await peer.send(b"250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n")
            elif verb == b"AUTH":
                await peer.send(b"535 5.7.8 Authentication credentials invalid\r\n")
            else:
                await peer.send(b"221 bye\r\n")
                return

    return script


def smtp_echo(password: str) -> Script:
    """An SMTP server (run it with implicit TLS) that answers AUTH with the password
    and the AUTH PLAIN token it was sent, in several cases, and QUIT likewise."""
    secret = password.encode()

    async def script(peer: Peer) -> None:
        await peer.send(b"220 mail.test ESMTP\r\n")
        while True:
            line = await peer.line()
            verb = line.split(b" ")[0].strip().upper()
            if verb == b"EHLO":
                await peer.send(b"250-mail.test\r\n250 AUTH PLAIN\r\n")
            elif verb == b"AUTH":
                token = line.split(b" ")[2].strip()
                echo = b" ".join([token, token.lower(), secret.upper(), secret])
                await peer.send(b"535 " + echo + b"\r\n")
            else:
                await peer.send(b"500 " + secret.swapcase() + b"\r\n")
                return

    return script


async def smtp_controls(peer: Peer) -> None:
    """An EHLO answer full of control sequences and a 64 KiB token; then it refuses
    STARTTLS with more of the same."""
    await peer.send(b"220 mail.test ESMTP " + CONTROLS + b"\r\n")
    await peer.line()
    await peer.send(
        b"250-mail.test\r\n250-" + CONTROLS + b"\r\n250-STARTTLS\r\n250 " + TOKEN + b"\r\n"
    )
    await peer.line()
    await peer.send(b"454 " + CONTROLS + b" " + TOKEN + b"\r\n")
    await peer.line()


def plain_token(user: str, password: str) -> str:
    """The AUTH PLAIN token a client sends for ``user`` and ``password``."""
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()

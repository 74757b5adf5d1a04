"""One TCP connection to a checked server, read within bounds: the edge below ``session``.

asyncio's streams are not enough against a hostile server. ``StreamReader.readexactly``
buffers whatever size the server announces, and after ``start_tls`` the reader hands
out bytes that arrived in plaintext *before* the handshake as if TLS had protected
them (STARTTLS response injection). :class:`Wire` is a small protocol of its own:

* it keeps at most about :data:`HIGH_WATER` unread bytes; beyond that the transport
  stops reading from the socket until the check has consumed them;
* a line longer than its limit is an :class:`Overrun`, never a bigger buffer;
* :meth:`Wire.start_tls` refuses to begin while any byte received before it is unread
  (:class:`DataBeforeTls`). The check of the buffer and the switch of the transport to
  TLS happen in one synchronous call, so no byte can slip in between: whatever arrives
  later is fed to the TLS layer, which rejects plaintext as a broken handshake.
"""

from __future__ import annotations

import asyncio
import ssl
from contextlib import suppress

MAX_LINE = 16 * 1024  # one reply line; RFC 5321 allows 512, IMAP servers stay far below
HIGH_WATER = 64 * 1024  # unread bytes before the socket is no longer read


def kib(size: int) -> str:
    return f"{size // 1024} KiB"


class Overrun(Exception):
    """The server sent more than a bound allows; the text says which, for a person."""


class DataBeforeTls(Exception):
    """Bytes arrived after the last plaintext answer and before TLS started."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} bytes received before the TLS handshake")
        self.count = count


class Budget:
    """How many bytes one step may read; the step resets it when it starts."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def reset(self) -> None:
        self.used = 0

    def spend(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            raise Overrun(f"the server sent more than {kib(self.limit)} in one step")


class _Inbound(asyncio.Protocol):
    """Receives bytes into one bounded buffer and wakes the one reader waiting."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.BaseTransport | None = None
        self.closed = False
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > HIGH_WATER and not self._paused:
            self._paused = True
            self._reading(False)
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()
        if not self.lost.done():
            self.lost.set_result(None)

    def _reading(self, on: bool) -> None:
        transport = self.transport
        if isinstance(transport, asyncio.ReadTransport) and not transport.is_closing():
            if on:
                transport.resume_reading()
            else:
                transport.pause_reading()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def more(self) -> None:
        """Wait until more bytes arrive; ``ConnectionError`` once the server closed."""
        if self.closed:
            raise ConnectionError("the server closed the connection")
        if self._paused:  # a reader that needs more must let the socket be read
            self._paused = False
            self._reading(True)
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def take(self, size: int) -> bytes:
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        if self._paused and len(self.buffer) <= HIGH_WATER // 2:
            self._paused = False
            self._reading(True)
        return data


class Wire:
    """Bounded reads and plain writes on one connection (TCP, later maybe TLS)."""

    def __init__(self, transport: asyncio.Transport, inbound: _Inbound) -> None:
        self._transport = transport
        self._inbound = inbound

    @classmethod
    async def open(cls, address: str, port: int) -> Wire:
        """TCP to exactly ``address`` (already judged by the guard): no name lookup."""
        loop = asyncio.get_running_loop()
        transport, inbound = await loop.create_connection(_Inbound, address, port)
        return cls(transport, inbound)

    def send(self, data: bytes) -> None:
        if self._inbound.closed:
            raise ConnectionError("the server closed the connection")
        self._transport.write(data)

    async def line(self, limit: int = MAX_LINE) -> bytes:
        """One line including its line feed; longer than ``limit`` is an ``Overrun``."""
        buffer = self._inbound.buffer
        searched = 0
        while True:
            end = buffer.find(b"\n", searched, limit)
            if end >= 0:
                return self._inbound.take(end + 1)
            if len(buffer) >= limit:
                raise Overrun(f"the server sent a line longer than {kib(limit)}")
            searched = len(buffer)
            await self._inbound.more()

    async def exactly(self, size: int) -> bytes:
        """``size`` bytes; the caller bounds ``size`` (at most :data:`HIGH_WATER`)."""
        if size > HIGH_WATER:
            raise Overrun(f"the server announced {size:,} bytes at once")
        while len(self._inbound.buffer) < size:
            await self._inbound.more()
        return self._inbound.take(size)

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        """TLS on this connection; ``DataBeforeTls`` if anything unread came before it."""
        if self._inbound.buffer:
            raise DataBeforeTls(len(self._inbound.buffer))
        loop = asyncio.get_running_loop()
        # SNI and host name verification use the name; the socket is already connected
        # to the checked address, so no second resolution happens here.
        transport = await loop.start_tls(
            self._transport, self._inbound, context, server_hostname=server_hostname
        )
        if transport is None:
            raise ConnectionError("the server closed the connection during the TLS handshake")
        self._transport = transport
        self._inbound.transport = transport

    def extra(self, name: str) -> object:
        return self._transport.get_extra_info(name)

    async def close(self) -> None:
        """Close politely but boundedly; a peer that never finishes TLS shutdown is cut."""
        self._transport.close()
        with suppress(Exception):
            async with asyncio.timeout(1.0):
                await asyncio.shield(self._inbound.lost)
                return
        self._transport.abort()

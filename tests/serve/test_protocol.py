"""The HTTP protocol ``mailctl serve`` runs: TCP_NODELAY on every accepted connection,
also on a listening socket bound as uvicorn's multi-process supervisor binds it
(protocol number 0, which asyncio does not recognise as TCP); with the C parser, a
request head still arriving is refused past 16 KiB, as h11 does."""

from __future__ import annotations

import asyncio
import select
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.importer import import_from_string
from uvicorn.server import ServerState

from reconciler.serve.protocol import MAX_HEAD_BYTES, H11NoDelay
from reconciler.serve.protocol_fast import HttpToolsNoDelay
from reconciler.serve.run import uvicorn_options

DEADLINE_SECONDS = 30  # a bound should the server never answer, not a timing claim
PAUSE_SECONDS = 0.05  # between the pieces of a head, so that each is its own read


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]}
    )
    await send({"type": "http.response.body", "body": b"hello"})


@asynccontextmanager
async def serving(protocol: type[asyncio.Protocol]) -> AsyncIterator[tuple[int, list[Any]]]:
    """``hello`` served with ``protocol`` on 127.0.0.1 from a socket uvicorn's
    supervisor would bind; yields the port and the protocols of accepted connections."""
    config = Config(app=hello, host="127.0.0.1", port=0, http=protocol, log_level="warning")
    config.load()
    listener = config.bind_socket()
    state = ServerState()
    made: list[Any] = []

    def factory() -> asyncio.Protocol:
        made.append(protocol(config=config, server_state=state, app_state={}))  # type: ignore[call-arg]
        return made[-1]  # type: ignore[no-any-return]

    server = await asyncio.get_running_loop().create_server(factory, sock=listener)
    try:
        yield listener.getsockname()[1], made
    finally:
        server.close()
        for connection in made:
            connection.transport.close()
        await server.wait_closed()


def exchange(port: int, *pieces: bytes) -> bytes:
    """Send ``pieces`` one at a time, each its own read on the server, stopping as soon
    as the server answers; then everything it sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_SECONDS) as client:
        for piece in pieces:
            client.sendall(piece)
            if select.select([client], [], [], PAUSE_SECONDS)[0]:
                break  # answered (refused) before the head was complete
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
        return answer


KEEP_ALIVE_GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
SERVED = import_from_string(uvicorn_options()["http"])


@pytest.mark.parametrize("protocol", [SERVED, H11NoDelay, HttpToolsNoDelay])
def test_accepted_connections_have_nodelay(protocol: type[asyncio.Protocol]) -> None:
    async def main() -> int:
        async with serving(protocol) as (port, made):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(KEEP_ALIVE_GET)  # the connection stays open to be looked at
            answer = await asyncio.wait_for(reader.readuntil(b"hello"), DEADLINE_SECONDS)
            assert answer.startswith(b"HTTP/1.1 200 ")
            sock = made[0].transport.get_extra_info("socket")
            nodelay = int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()
            return nodelay

    assert asyncio.run(main()) == 1


def test_the_fast_parser_and_loop_are_used_when_installed() -> None:
    options = uvicorn_options()
    assert options["http"] == "reconciler.serve.protocol_fast:HttpToolsNoDelay"
    assert options["loop"] == "uvloop"


def test_a_head_still_arriving_past_the_limit_is_refused() -> None:
    line = b"GET / HTTP/1.1\r\nHost: x\r\n"
    pad = b"X-Pad: " + b"x" * 1000 + b"\r\n"
    pieces = [line] + [pad] * (MAX_HEAD_BYTES // len(pad) + 2)

    async def main() -> tuple[bytes, bytes]:
        async with serving(HttpToolsNoDelay) as (port, _):
            refused = await asyncio.to_thread(exchange, port, *pieces, b"\r\n")
            under = await asyncio.to_thread(exchange, port, line, pad, b"Connection: close\r\n\r\n")
            return refused, under

    refused, under = asyncio.run(main())
    assert refused.startswith(b"HTTP/1.1 431 ")
    assert b"hello" not in refused
    assert under.startswith(b"HTTP/1.1 200 ") and under.endswith(b"hello")


def test_h11_and_asyncio_where_the_fast_ones_do_not_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "httptools", None)  # import raises ImportError
    monkeypatch.setitem(sys.modules, "uvloop", None)
    options = uvicorn_options()
    assert options["http"] == "reconciler.serve.protocol:H11NoDelay"
    assert options["loop"] == "asyncio"

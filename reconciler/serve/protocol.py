"""The HTTP protocol and event loop uvicorn runs ``mailctl serve`` with.

``TCP_NODELAY`` on every accepted connection: with ``--workers`` above 1, uvicorn binds
the listening socket itself with protocol number 0, accepted sockets inherit it, and
asyncio turns ``TCP_NODELAY`` on only for sockets whose protocol is ``IPPROTO_TCP``.
Without it an answer written in two sends (head, then body) waits for the client's
delayed ACK, about 40 ms, on every request.

The C parser (httptools) and uvloop when they can be imported, else the pure-Python
h11 and asyncio: the answers are the same, only faster. h11 bounds a request head
still arriving (``h11_max_incomplete_event_size``); httptools does not, so
:class:`HttpToolsNoDelay` refuses a head that passes :data:`MAX_HEAD_BYTES` before it
is complete with ``431``. A head that arrives whole is measured by ``limits.BodyLimit``.
"""

from __future__ import annotations

import asyncio
import importlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_HEAD_BYTES = 16 * 1024  # the request line and headers, as serve/run.py's limit
HEAD_REFUSAL = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\ncache-control: no-store\r\n"
    b"connection: close\r\ncontent-length: 43\r\n\r\n"
    b'{"error":"request header fields too large"}'
)


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Turn on ``TCP_NODELAY`` for a TCP transport (a Unix socket has no such option)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class H11NoDelay(H11Protocol):
    """uvicorn's h11 protocol with ``TCP_NODELAY`` on."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


def has_httptools() -> bool:
    return _imports("httptools")


def has_uvloop() -> bool:
    return _imports("uvloop")


def _imports(name: str) -> bool:
    """Whether ``name`` imports here (a broken or missing build falls back)."""
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def http_protocol() -> str:
    """The protocol class for uvicorn's ``http=`` (a ``module:Class`` name, as the
    worker processes import it)."""
    if has_httptools():
        return "reconciler.serve.protocol_fast:HttpToolsNoDelay"
    return f"{__name__}:H11NoDelay"


def event_loop() -> str:
    """uvicorn's ``loop=``: uvloop when installed, else asyncio."""
    return "uvloop" if has_uvloop() else "asyncio"

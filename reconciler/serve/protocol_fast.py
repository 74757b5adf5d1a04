"""uvicorn's httptools protocol (the C parser) with ``TCP_NODELAY`` on and a bound on a
request head still arriving. Importable only where httptools is installed: see
``protocol.http_protocol``."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from reconciler.serve.protocol import HEAD_REFUSAL, MAX_HEAD_BYTES, set_nodelay


class HttpToolsNoDelay(HttpToolsProtocol):
    """Refuses with ``431`` and closes once more than :data:`MAX_HEAD_BYTES` arrived
    while a request head is incomplete (httptools itself would keep buffering it).

    Reads in which a request completed are not counted (their bytes may be that
    request's body), so a head may overshoot by at most one read before it is refused.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_pending = 0  # bytes received since the last complete head
        self._in_head = True  # between two requests, or inside a head
        self._completed = False  # a request completed in the read being fed

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_pending = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._completed = True

    def data_received(self, data: bytes) -> None:
        self._completed = False
        super().data_received(data)
        if not self._in_head or self._completed or self.transport.is_closing():
            return
        self._head_pending += len(data)
        if self._head_pending > MAX_HEAD_BYTES:
            self.transport.write(HEAD_REFUSAL)
            self.transport.close()

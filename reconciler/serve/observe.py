"""The access log and the request metrics: one ASGI middleware around every request.

One JSON line per request on stderr: time, method, path (never the query string, which
carries addresses), the route, status, bytes sent and duration. Request headers are
never logged, so neither is a bearer token.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.serve.metrics import Metrics

UNMATCHED = "(unmatched)"


class Observe:
    def __init__(self, app: ASGIApp, metrics: Metrics, log: TextIO | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent = 0

        async def sending(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            endpoint = getattr(route, "path", None) or UNMATCHED
            self.metrics.observe(endpoint, status, elapsed)
            self._log(scope, endpoint, status, sent, elapsed)

    def _log(self, scope: Scope, endpoint: str, status: int, sent: int, elapsed: float) -> None:
        client = scope.get("client")
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "method": scope["method"],
            "path": scope["path"],
            "route": endpoint,
            "status": status,
            "bytes": sent,
            "ms": round(elapsed * 1000, 3),
            "client": client[0] if client else None,
        }
        stream = self.log or sys.stderr
        stream.write(json.dumps(line, separators=(",", ":")) + "\n")

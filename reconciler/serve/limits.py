"""The request body limit: a body larger than :data:`DEFAULT_MAX_BODY` is refused with
``413`` before it is read. A declared ``Content-Length`` over the limit is refused at
once, unread; a body without one (chunked) is counted as it arrives and refused as soon
as it passes the limit. Request headers over :data:`MAX_HEADER_BYTES` in all are refused
with ``431``: the HTTP server's own cap (``h11_max_incomplete_event_size``, see
serve/run.py) only bounds a head still arriving, not one that comes in a single read.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024  # names and values of every request header, together
_REFUSAL = b'{"error":"request body too large"}'
_HEADERS_REFUSAL = b'{"error":"request header fields too large"}'


class TooLarge(Exception):
    """The body passed the limit while the application read it."""


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADER_BYTES:
            await _refuse(send, 431, _HEADERS_REFUSAL)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await _refuse(send)
            return
        received = 0
        started = False

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise TooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting, sending)
        except TooLarge:
            if started:
                raise
            await _refuse(send)


def _content_length(scope: Scope) -> int | None:
    """The declared length; an unreadable one counts as too large (refused unread)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 2**63
    return None


async def _refuse(send: Send, status: int = 413, body: bytes = _REFUSAL) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

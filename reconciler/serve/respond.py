"""Answers from a snapshot: ETag, Cache-Control and ``304 Not Modified``.

Every answer made from a snapshot carries that snapshot's ETag (see
``Snapshot.etag``); a request whose ``If-None-Match`` names it gets ``304`` without a
body. Answers may be cached for :data:`MAX_AGE` seconds by anyone (they are public)
and are revalidated after that.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from reconciler.serve.models import Problem
from reconciler.serve.snapshot import Snapshot

MAX_AGE = 60
CACHE_PUBLIC = f"public, max-age={MAX_AGE}"
NO_STORE = "no-store"

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
XML = "application/xml"


def matches(request: Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 13.1.2)."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def cached(
    request: Request,
    current: Snapshot,
    body: bytes,
    media_type: str,
    variant: str,
    vary: str | None = None,
) -> Response:
    """``body`` with the ETag of ``variant`` of ``current``, or 304 if the client has it."""
    etag = current.etag(variant)
    headers = {"ETag": etag, "Cache-Control": CACHE_PUBLIC}
    if vary:
        headers["Vary"] = vary
    if matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def problem(status: int, message: str) -> Response:
    """An error as JSON, never cached. ``message`` is fixed text: it must not repeat
    the request (nothing a client sent is reflected)."""
    headers = {"Cache-Control": NO_STORE}
    body = Problem(error=message).model_dump_json().encode()
    return Response(body, status_code=status, media_type=JSON, headers=headers)

"""Microsoft Autodiscover (POX), as ``autodiscover.<domain>`` serves it to Outlook.

Outlook POSTs an XML request naming the address to
``https://autodiscover.<domain>/autodiscover/autodiscover.xml``, spelling the path in
whatever case (``/Autodiscover/Autodiscover.xml``, ``/AutoDiscover/AutoDiscover.xml``):
the path is matched without regard to case. The answer comes from
``reconciler.app.autoconfig.autodiscover_answer`` on the snapshot taken at the start of
the request. The request body is read only up to the reader's own cap
(``autodiscover.MAX_REQUEST_BYTES``); a declared larger body is refused unread (413).
A GET is no Autodiscover request: 405 with ``Allow: POST`` (Outlook's unauthenticated
GET is the HTTP redirect method, which this server does not offer).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.app.autoconfig import AUTODISCOVER_MEDIA_TYPE, autodiscover_answer
from reconciler.autoconfig import autodiscover
from reconciler.serve.poller import SnapshotSource
from reconciler.serve.respond import NO_STORE

PATH = "/autodiscover/autodiscover.xml"


class AnyCaseRoute(Route):
    """A route whose path matches in any letter case."""

    def __init__(self, path: str, endpoint: Callable[..., Any], methods: Sequence[str]) -> None:
        super().__init__(path, endpoint, methods=list(methods))
        self.path_regex = re.compile(self.path_regex.pattern, re.IGNORECASE)


def declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    return int(raw) if raw.isdigit() else 2**63


async def read_capped(request: Request, cap: int) -> bytes:
    """The body, or its first ``cap + 1`` bytes when it is longer (the rest unread)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            break
    return bytes(body[: cap + 1])


def routes(source: SnapshotSource) -> list[BaseRoute]:
    cap = autodiscover.MAX_REQUEST_BYTES
    headers = {"Cache-Control": NO_STORE}  # the answer names the address asked about

    async def answer(request: Request) -> Response:
        current = source.current
        declared = declared_length(request)
        if declared is not None and declared > cap:
            refusal = autodiscover.render_error(autodiscover.ErrorCode.INVALID_REQUEST)
            unread = {**headers, "Connection": "close"}  # the body is left unread
            return Response(refusal, 413, unread, AUTODISCOVER_MEDIA_TYPE)
        found = autodiscover_answer(current.domains, await read_capped(request, cap))
        return Response(found.body, found.status, headers, found.media_type)

    return [AnyCaseRoute(PATH, answer, methods=["POST"])]

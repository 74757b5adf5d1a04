"""Inboxes over HTTP, the only writing endpoints, behind a bearer token (``bearer``):

* ``POST /v1/inboxes`` with ``{"address": "alice@example.com"}``: connect; 201 when
  new, 200 when it was connected already (connecting twice is harmless, as in the CLI);
* ``GET /v1/inboxes[?domain=DOMAIN]``: list, with the settings each resolves to now;
* ``DELETE /v1/inboxes/{address}``: disconnect; 204.

They run the use cases of ``reconciler.app.inbox`` in a worker thread, each opening
the store read-write for that request only and closing it after: a connection kept
open would hold SQLite's write-ahead log, and the readers would not see an apply
until it is checkpointed. Without a token configured there are no such routes (404).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from urllib.parse import quote

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.app import inbox as use
from reconciler.errors import InputError, MailctlError
from reconciler.serve.bearer import load_token, refusal
from reconciler.serve.poller import SnapshotSource
from reconciler.serve.respond import JSON, NO_STORE, problem
from reconciler.store.open import ENV_VAR as ENV_STATE

NOT_AN_ADDRESS = "the address must be an email address, local@domain"
NOT_A_DOMAIN = "the domain parameter must be a domain name"
BAD_BODY = 'the body must be JSON: {"address": "local@domain"}'
UNKNOWN_DOMAIN = "the domain is not configured here"
ELSEWHERE = "the address is connected under another domain"
NOT_CONNECTED = "no inbox of this address is connected"
UNAVAILABLE = "the store cannot be written now"


def _json(status: int, document: object, **headers: str) -> Response:
    body = json.dumps(document, ensure_ascii=False).encode()
    return Response(body, status, {"Cache-Control": NO_STORE, **headers}, JSON)


def _failed(exc: MailctlError, bad_input: str, unknown: int = 422) -> Response:
    """The use case's refusal as an answer; its message (which names the store and
    repeats the request) stays in the server."""
    if isinstance(exc, InputError):
        return problem(400, bad_input)
    if isinstance(exc, use.DomainNotConfigured):
        return problem(unknown, UNKNOWN_DOMAIN)
    if isinstance(exc, use.FiledElsewhere):
        return problem(409, ELSEWHERE)
    if isinstance(exc, use.NotConnected):
        return problem(404, NOT_CONNECTED)
    return problem(503, UNAVAILABLE)


def router(token: str | None, state_url: str | None) -> Callable[[SnapshotSource], list[BaseRoute]]:
    """The inbox routes, open to requests bearing ``token`` and writing the store at
    ``state_url``; none at all when ``token`` is None."""

    def routes(_: SnapshotSource) -> list[BaseRoute]:
        if token is None:
            return []

        async def connect(request: Request) -> Response:
            if (refused := refusal(request, token)) is not None:
                return refused
            try:
                sent = json.loads(await request.body())
            except (ValueError, UnicodeDecodeError):
                return problem(400, BAD_BODY)
            if not isinstance(sent, dict) or not isinstance(sent.get("address"), str):
                return problem(400, BAD_BODY)
            options = use.ConnectOptions(sent["address"], state_url)
            try:
                done = await anyio.to_thread.run_sync(use.connect, options)
            except MailctlError as exc:
                return _failed(exc, NOT_AN_ADDRESS)
            if not done.new:
                return _json(200, use.record(done))
            where = f"/v1/inboxes/{quote(done.inbox.address, safe='@')}"
            return _json(201, use.record(done), Location=where)

        async def listing(request: Request) -> Response:
            if (refused := refusal(request, token)) is not None:
                return refused
            options = use.ListOptions(request.query_params.get("domain"), state_url)
            try:
                found = await anyio.to_thread.run_sync(use.list_inboxes, options)
            except MailctlError as exc:
                return _failed(exc, NOT_A_DOMAIN, unknown=404)
            inboxes = [use.record(entry) for entry in found.inboxes]
            return _json(200, {"domain": found.domain, "inboxes": inboxes})

        async def disconnect(request: Request) -> Response:
            if (refused := refusal(request, token)) is not None:
                return refused
            options = use.DisconnectOptions(request.path_params["address"], state_url)
            try:
                await anyio.to_thread.run_sync(use.disconnect, options)
            except MailctlError as exc:
                return _failed(exc, NOT_AN_ADDRESS)
            return Response(status_code=204, headers={"Cache-Control": NO_STORE})

        return [
            Route("/v1/inboxes", connect, methods=["POST"]),
            Route("/v1/inboxes", listing, methods=["GET"]),
            Route("/v1/inboxes/{address:path}", disconnect, methods=["DELETE"]),
        ]

    return routes


def from_environment(source: SnapshotSource) -> list[BaseRoute]:
    """The inbox routes as ``mailctl serve`` configured them: the token of
    ``$MAILCTL_SERVE_TOKEN_FILE`` or ``$MAILCTL_SERVE_TOKEN``, the store of
    ``$MAILCTL_STATE``; off when no token is configured."""
    return router(load_token(os.environ), os.environ.get(ENV_STATE))(source)

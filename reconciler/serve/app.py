"""The ASGI application: routes from the routers, middleware around them, and the
poll loop in its lifespan.

Starlette rather than FastAPI: every answer here is bytes rendered once per snapshot,
so FastAPI's per-request validation and serialisation would be pure cost (the service
aims at twice automx2's throughput); the OpenAPI document comes from the same pydantic
models anyway (``openapi.py``).

Extension points: a router is ``Callable[[SnapshotSource], Sequence[BaseRoute]]``.
:data:`ROUTERS` lists the built-in ones; a new family of answers (Autodiscover, Apple
profiles, a page for people, inbox endpoints) adds its module's ``routes`` there, or a
caller passes more through ``build_app(routers=...)``. Its handlers take
``source.current`` once, at their start, and answer from it alone.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import TextIO

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from reconciler.serve import api, apple, inboxes, mozilla, outlook, page
from reconciler.serve.headers import SecurityHeaders
from reconciler.serve.limits import DEFAULT_MAX_BODY, BodyLimit
from reconciler.serve.metrics import Metrics
from reconciler.serve.observe import Observe
from reconciler.serve.ops import routes as ops_routes
from reconciler.serve.poller import DEFAULT_INTERVAL, SnapshotSource
from reconciler.serve.respond import problem
from reconciler.store.open import open_store

Router = Callable[[SnapshotSource], Sequence[BaseRoute]]

ROUTERS: tuple[Router, ...] = (
    api.routes,
    mozilla.routes,
    outlook.routes,
    apple.from_environment,
    inboxes.from_environment,
    page.routes,
)

# How `mailctl serve` hands its options to each worker process that uvicorn starts.
ENV_STATE = "MAILCTL_STATE"
ENV_POLL_INTERVAL = "MAILCTL_SERVE_POLL_INTERVAL"
ENV_MAX_BODY = "MAILCTL_SERVE_MAX_BODY"


def build_app(
    source: SnapshotSource,
    *,
    poll_interval: float | None = DEFAULT_INTERVAL,
    routers: Sequence[Router] = ROUTERS,
    max_body: int = DEFAULT_MAX_BODY,
    log: TextIO | None = None,
) -> Starlette:
    """The application serving ``source``. On startup it polls once (so the first
    request already has the store's snapshot), then every ``poll_interval`` seconds
    (None: never again; a caller polls itself)."""
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(source.poll)
        async with anyio.create_task_group() as tasks:
            if poll_interval is not None:
                tasks.start_soon(source.run, poll_interval)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
        source.close()

    routes: list[BaseRoute] = []
    for router in routers:
        routes.extend(router(source))
    routes.extend(ops_routes(source, metrics))
    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_problem},
        middleware=[
            Middleware(Observe, metrics=metrics, log=log),
            Middleware(SecurityHeaders),
            Middleware(BodyLimit, max_body=max_body),
        ],
        lifespan=lifespan,
    )


async def _http_problem(_: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path, method not allowed) as our JSON errors."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    response = problem(status, HTTPStatus(status).phrase.lower())
    if isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)  # Allow, on a 405
    return response


def store_source(url: str) -> SnapshotSource:
    """A source reading the store at ``url`` read-only."""
    return SnapshotSource(lambda: open_store(url, read_only=True))


def from_environment() -> Starlette:
    """The application as ``mailctl serve`` configures it (uvicorn's factory, run in
    every worker process): the store URL and options from the environment."""
    return build_app(
        store_source(os.environ[ENV_STATE]),
        poll_interval=float(os.environ.get(ENV_POLL_INTERVAL, DEFAULT_INTERVAL)),
        max_body=int(os.environ.get(ENV_MAX_BODY, DEFAULT_MAX_BODY)),
    )

"""Run the application in process and talk to it with httpx (no socket)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette

from reconciler.serve.app import build_app, store_source
from reconciler.serve.poller import SnapshotSource

T = TypeVar("T")


@asynccontextmanager
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app``, its lifespan (first poll, poll loop) running meanwhile."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def served(url: str, **options: Any) -> tuple[Starlette, SnapshotSource, io.StringIO]:
    """The application on the store at ``url`` (no poll loop unless asked), its
    source and its access log."""
    source = store_source(url)
    log = io.StringIO()
    options.setdefault("poll_interval", None)
    return build_app(source, log=log, **options), source, log


def get_all(url: str, *paths: str, **headers: str) -> list[httpx.Response]:
    """GET each of ``paths`` from a fresh application on ``url``."""

    async def go(c: httpx.AsyncClient) -> list[httpx.Response]:
        return [await c.get(path, headers=headers) for path in paths]

    return talk(url, go)


def talk(url: str, conversation: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    app, _, _ = served(url)

    async def main() -> T:
        async with client(app) as c:
            return await conversation(c)

    return asyncio.run(main())


def serial_of(response: httpx.Response) -> int:
    """The serial in the ETag (``"<lineage>-<serial>.<variant>"``)."""
    return int(response.headers["etag"].strip('"').rsplit(".", 1)[0].rsplit("-", 1)[1])

"""Operations, in process: health (and what an unreachable store does to it), metrics,
security headers on every answer, the body limit, and an access log that never holds
the query string or a bearer token."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.serve.app import ROUTERS
from reconciler.serve.limits import BodyLimit
from reconciler.serve.poller import SnapshotSource
from reconciler.store.open import open_store
from tests.serve.client_support import client, get_all, served, talk
from tests.store.requests import domain, request


def test_health_names_the_serial_served(store_url: str) -> None:
    (health,) = get_all(store_url, "/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["store_reachable"] is True
    assert body["serial"] == 1 and body["lineage"] and body["applied_at"]
    assert health.headers["cache-control"] == "no-store"


def test_an_unreachable_store_keeps_the_last_settings_and_fails_health(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = open_store(url)
    store.apply(request(store.read(), [domain("example.com")]))
    store.close()
    app, source, _ = served(url)

    async def go() -> tuple[httpx.Response, httpx.Response]:
        async with client(app) as c:
            (tmp_path / "state.db").rename(tmp_path / "moved.db")
            assert source.poll() is False
            return await c.get("/healthz"), await c.get("/v1/domains/example.com")

    health, settings = asyncio.run(go())
    assert health.status_code == 503
    assert health.json()["store_reachable"] is False and health.json()["serial"] == 1
    assert settings.status_code == 200 and settings.json()["serial"] == 1


def test_metrics_count_requests_by_route_and_status(store_url: str) -> None:
    async def go(c: httpx.AsyncClient) -> str:
        await c.get("/v1/domains/example.com")
        await c.get("/v1/domains/plain.example")
        await c.get("/v1/domains/nowhere.example")
        return (await c.get("/metrics")).text

    text = talk(store_url, go)
    lines = text.splitlines()
    route = 'endpoint="/v1/domains/{domain}"'
    assert f'mailctl_serve_requests_total{{{route},status="200"}} 2' in lines
    assert f'mailctl_serve_requests_total{{{route},status="404"}} 1' in lines
    assert f'mailctl_serve_request_duration_seconds_bucket{{{route},le="+Inf"}} 3' in lines
    assert f"mailctl_serve_request_duration_seconds_count{{{route}}} 3" in lines
    assert "mailctl_serve_serial 1" in lines
    assert "mailctl_serve_domains 3" in lines
    assert "mailctl_serve_store_up 1" in lines
    assert "nowhere" not in text  # routes, not raw paths


def test_every_answer_has_the_security_headers(store_url: str) -> None:
    answers = get_all(
        store_url, "/v1/domains", "/healthz", "/metrics", "/v1/domains/x.example", "/nothing"
    )
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")


def reading(source: SnapshotSource) -> list[BaseRoute]:
    """A router (as Autodiscover's will be) whose route reads the request body."""

    async def count(request: Request) -> Response:
        return Response(str(len(await request.body())))

    return [Route("/count", count, methods=["POST"])]


def test_an_oversized_body_is_refused(store_url: str) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 4096  # 160 KiB, no Content-Length: counted as it arrives

    app, _, _ = served(store_url, routers=(*ROUTERS, reading))

    async def go() -> list[httpx.Response]:
        async with client(app) as c:
            return [
                await c.post("/count", content=b"x" * 100_000),
                await c.post("/count", content=chunks()),
                await c.post("/count", content=b"x" * 10),
                await c.post("/v1/domains", content=b"x" * 100_000),
            ]

    declared, chunked, small, not_read = asyncio.run(go())
    assert declared.status_code == chunked.status_code == not_read.status_code == 413
    assert declared.json() == {"error": "request body too large"}
    assert chunked.headers["x-content-type-options"] == "nosniff"
    assert (small.status_code, small.text) == (200, "10")


def test_a_declared_oversized_body_is_refused_before_it_is_read() -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("the application must not run")

    async def receive() -> dict[str, object]:
        raise AssertionError("the body must not be read")

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"content-length", b"65537")]}
    asyncio.run(BodyLimit(app, max_body=65536)(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 413


@pytest.mark.parametrize("path", ["/v1/settings?email=alice.secret@example.com"])
def test_the_access_log_has_one_line_per_request_and_no_secret(store_url: str, path: str) -> None:
    app, _, log = served(store_url)

    async def go() -> None:
        async with client(app) as c:
            await c.get(path, headers={"authorization": "Bearer tok3n-value"})
            await c.get("/v1/domains")

    asyncio.run(go())
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    assert [(line["path"], line["status"]) for line in lines] == [
        ("/v1/settings", 200),
        ("/v1/domains", 200),
    ]
    assert lines[0]["route"] == "/v1/settings" and lines[0]["bytes"] > 0
    assert "alice" not in log.getvalue() and "tok3n" not in log.getvalue()


def test_oversized_request_headers_are_refused(store_url: str) -> None:
    """16 KiB of headers in all is the most: an answer under it, 431 over it."""
    (under,) = get_all(store_url, "/healthz", **{"X-Pad": "x" * 15_000})
    (over,) = get_all(store_url, "/healthz", **{"X-Pad": "x" * 17_000})
    assert under.status_code == 200
    assert over.status_code == 431
    assert over.json() == {"error": "request header fields too large"}

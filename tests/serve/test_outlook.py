"""Autodiscover over HTTP, in process on both backends: every spelling of the path,
the answer from the snapshot, GET refused, and hostile or oversized bodies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from reconciler.autoconfig.autodiscover import MAX_REQUEST_BYTES, REQUEST_NS
from reconciler.serve import outlook
from reconciler.serve.poller import SnapshotSource
from reconciler.store.open import open_store
from tests.autoconfig.autodiscover_support import HOSTILE, MOBILESYNC, request
from tests.serve.client_support import client, served, talk

SPELLINGS = (
    "/autodiscover/autodiscover.xml",
    "/Autodiscover/Autodiscover.xml",
    "/AutoDiscover/AutoDiscover.xml",
    "/AUTODISCOVER/AUTODISCOVER.XML",
    "/autoDiscover/autodiscover.XML",
)
XML = "text/xml; charset=utf-8"


def post_all(url: str, path: str, *bodies: bytes) -> list[httpx.Response]:
    async def go(c: httpx.AsyncClient) -> list[httpx.Response]:
        return [await c.post(path, content=body) for body in bodies]

    return talk(url, go)


def test_every_spelling_of_the_path_gets_the_settings(store_url: str) -> None:
    for path in SPELLINGS:
        (answer,) = post_all(store_url, path, request("anyone@example.com"))
        assert answer.status_code == 200, path
        assert answer.headers["content-type"] == XML
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"
        text = answer.text
        assert "<Type>IMAP</Type>" in text and "<Type>SMTP</Type>" in text
        assert "<Server>imap.example.com</Server>" in text and "<Port>993</Port>" in text
        assert "<LoginName>anyone@example.com</LoginName>" in text
    (other,) = post_all(store_url, "/autodiscover/autodiscover.json", request())
    assert other.status_code == 404


def test_the_answer_follows_the_snapshot(store_url: str) -> None:
    """After an apply and a poll, the next answer has the new port: the route reads
    the snapshot being served, not a copy of its own."""
    from tests.store.requests import domain
    from tests.store.requests import request as apply_request

    app, source, _ = served(store_url)

    async def go() -> tuple[httpx.Response, httpx.Response]:
        async with client(app) as c:
            before = await c.post(SPELLINGS[1], content=request())
            store = open_store(store_url)
            try:
                store.apply(apply_request(store.read(), [domain("example.com", port=1993)]))
            finally:
                store.close()
            assert source.poll() is True
            return before, await c.post(SPELLINGS[1], content=request())

    before, after = asyncio.run(go())
    assert "<Port>993</Port>" in before.text and "<Port>1993</Port>" in after.text


def test_get_is_not_an_autodiscover_request(store_url: str) -> None:
    async def go(c: httpx.AsyncClient) -> list[httpx.Response]:
        return [await c.get(path) for path in SPELLINGS[:2]]

    for answer in talk(store_url, go):
        assert answer.status_code == 405
        assert answer.headers["allow"] == "POST"


def test_protocol_errors_are_answered_in_the_body(store_url: str) -> None:
    unknown, schema = post_all(
        store_url,
        SPELLINGS[0],
        request("alice@nowhere.example"),
        request(schema=MOBILESYNC),
    )
    assert unknown.status_code == schema.status_code == 200
    assert "<ErrorCode>500</ErrorCode>" in unknown.text and "nowhere" not in unknown.text
    assert "<ErrorCode>601</ErrorCode>" in schema.text


@pytest.mark.parametrize("name", [*HOSTILE, "another namespace", "no namespace"])
def test_hostile_bodies_are_invalid_requests(store_url: str, name: str) -> None:
    body = {
        "another namespace": request(ns="urn:example:not-autodiscover"),
        "no namespace": request().replace(f' xmlns="{REQUEST_NS}"'.encode(), b""),
    }.get(name) or HOSTILE[name]
    (answer,) = post_all(store_url, SPELLINGS[2], body)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == XML
    assert "<ErrorCode>600</ErrorCode>" in answer.text
    assert "lol" not in answer.text and "passwd" not in answer.text


def test_oversized_bodies_are_refused(store_url: str) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 4096  # 40 KiB, no Content-Length: read only up to the cap

    padded = request().replace(b"<Request>", b"<Request>" + b" " * MAX_REQUEST_BYTES)
    app, _, _ = served(store_url)

    async def go() -> list[httpx.Response]:
        async with client(app) as c:
            return [
                await c.post(SPELLINGS[0], content=padded),
                await c.post(SPELLINGS[0], content=chunks()),
                await c.post(SPELLINGS[0], content=b" " * 100_000),
            ]

    declared, chunked, huge = asyncio.run(go())
    assert declared.status_code == chunked.status_code == huge.status_code == 413
    assert "<ErrorCode>600</ErrorCode>" in declared.text and declared.headers["content-type"] == XML
    assert "<ErrorCode>600</ErrorCode>" in chunked.text
    assert huge.json() == {"error": "request body too large"}  # the service-wide limit


def test_a_declared_oversized_body_is_refused_unread(store_url: str) -> None:
    """Under the service-wide limit but over Autodiscover's: the route answers 413
    without reading a byte (receive fails if called)."""
    source = SnapshotSource(lambda: open_store(store_url, read_only=True))
    source.poll()
    (route,) = outlook.routes(source)
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        raise AssertionError("the body must not be read")

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": SPELLINGS[3],
        "headers": [(b"content-length", str(MAX_REQUEST_BYTES + 1).encode())],
        "query_string": b"",
    }
    asyncio.run(route.handle(scope, receive, send))  # type: ignore[arg-type]
    source.close()
    assert sent[0]["status"] == 413
    assert b"<ErrorCode>600</ErrorCode>" in sent[1]["body"]  # type: ignore[operator]

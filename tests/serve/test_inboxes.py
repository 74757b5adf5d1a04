"""Inboxes over HTTP, in process on both backends: the token rules, and connect,
list and disconnect as the store then holds them."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from reconciler.errors import InputError
from reconciler.serve import bearer, inboxes
from reconciler.serve.run import ServeOptions, check_wiring
from reconciler.store.open import open_store
from tests.serve.client_support import client, served

T = TypeVar("T")
TOKEN = "0123456789abcdef0123456789abcdef"
RIGHT = {"Authorization": f"Bearer {TOKEN}"}


def with_token(
    url: str, token: str | None, conversation: Callable[[httpx.AsyncClient], Awaitable[T]]
) -> tuple[T, str]:
    """The conversation's result with the inbox routes open to ``token``, and the
    access log."""
    app, _, log = served(url, routers=(inboxes.router(token, url),))

    async def main() -> T:
        async with client(app) as c:
            return await conversation(c)

    result = asyncio.run(main())
    assert isinstance(log, io.StringIO)
    return result, log.getvalue()


def stored(url: str) -> set[tuple[str, str]]:
    store = open_store(url)
    try:
        return {(i.address, i.domain) for i in store.inboxes(None)}
    finally:
        store.close()


def test_the_token_rules(store_url: str) -> None:
    async def go(c: httpx.AsyncClient) -> list[httpx.Response]:
        body = {"address": "alice@example.com"}
        return [
            await c.get("/v1/inboxes"),
            await c.post("/v1/inboxes", json=body, headers={"Authorization": "Basic eDp5"}),
            await c.delete("/v1/inboxes/alice@example.com", headers={"Authorization": "Bearer"}),
            await c.post("/v1/inboxes", json=body, headers={"Authorization": "Bearer wrong"}),
            await c.get("/v1/inboxes", headers={"Authorization": f"Bearer {TOKEN}x"}),
            await c.get("/v1/inboxes", headers={"Authorization": f"bearer {TOKEN}"}),
        ]

    answers, log = with_token(store_url, TOKEN, go)
    *missing, wrong, longer, right = answers
    for answer in missing:
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == 'Bearer realm="mailctl"'
    assert wrong.status_code == longer.status_code == 403
    assert "wrong" not in wrong.text
    assert right.status_code == 200 and right.json() == {"domain": None, "inboxes": []}
    assert right.headers["cache-control"] == "no-store"
    assert stored(store_url) == set()  # nothing refused was written
    assert TOKEN not in log and "wrong" not in log


def test_without_a_token_the_routes_are_off(store_url: str) -> None:
    async def go(c: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await c.get("/v1/inboxes", headers=RIGHT),
            await c.post("/v1/inboxes", json={"address": "a@example.com"}, headers=RIGHT),
            await c.delete("/v1/inboxes/a@example.com", headers=RIGHT),
        ]

    answers, _ = with_token(store_url, None, go)
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert stored(store_url) == set()


def test_connect_list_disconnect(store_url: str) -> None:
    async def go(c: httpx.AsyncClient) -> list[httpx.Response]:
        def post(address: str) -> Awaitable[httpx.Response]:
            return c.post("/v1/inboxes", json={"address": address}, headers=RIGHT)

        return [
            await post("Alice@Example.COM"),
            await post("Alice@example.com"),
            await post("bob@bücher.example"),
            await c.get("/v1/inboxes?domain=example.com", headers=RIGHT),
            await c.get("/v1/inboxes", headers=RIGHT),
        ]

    answers, _ = with_token(store_url, TOKEN, go)
    new, again, idn, one_domain, every = answers
    assert new.status_code == 201 and new.headers["location"] == "/v1/inboxes/Alice@example.com"
    record = new.json()
    assert record["address"] == "Alice@example.com" and record["domain"] == "example.com"
    assert record["settings"]["imap"]["host"] == "imap.example.com"
    assert again.status_code == 200 and again.json()["connected_at"] == record["connected_at"]
    assert idn.status_code == 201
    assert idn.json()["address_unicode"] == "bob@bücher.example"
    assert [i["address"] for i in one_domain.json()["inboxes"]] == ["Alice@example.com"]
    assert len(every.json()["inboxes"]) == 2
    assert stored(store_url) == {
        ("Alice@example.com", "example.com"),
        ("bob@xn--bcher-kva.example", "xn--bcher-kva.example"),
    }

    async def disconnect(c: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await c.delete("/v1/inboxes/Alice@example.com", headers=RIGHT),
            await c.delete("/v1/inboxes/Alice@example.com", headers=RIGHT),
            await c.delete("/v1/inboxes/alice@example.com", headers=RIGHT),
        ]

    (gone, twice, other_case), _ = with_token(store_url, TOKEN, disconnect)
    assert gone.status_code == 204 and gone.content == b""
    assert twice.status_code == other_case.status_code == 404
    assert stored(store_url) == {("bob@xn--bcher-kva.example", "xn--bcher-kva.example")}


def test_refusals_name_no_input_and_write_nothing(store_url: str) -> None:
    async def go(c: httpx.AsyncClient) -> list[httpx.Response]:
        post = c.post
        return [
            await post("/v1/inboxes", json={"address": "a@nowhere.example"}, headers=RIGHT),
            await post("/v1/inboxes", json={"address": "<script>"}, headers=RIGHT),
            await post("/v1/inboxes", json={"mail": "a@example.com"}, headers=RIGHT),
            await post("/v1/inboxes", content=b"{not json", headers=RIGHT),
            await post("/v1/inboxes", json=["a@example.com"], headers=RIGHT),
            await c.get("/v1/inboxes?domain=nowhere.example", headers=RIGHT),
            await c.get("/v1/inboxes?domain=no_t..valid", headers=RIGHT),
            await c.delete("/v1/inboxes/%3Cscript%3E", headers=RIGHT),
        ]

    answers, _ = with_token(store_url, TOKEN, go)
    statuses = [a.status_code for a in answers]
    assert statuses == [422, 400, 400, 400, 400, 404, 400, 400]
    for answer in answers:
        assert "nowhere" not in answer.text and "script" not in answer.text
        assert "sqlite" not in answer.text and "postgresql" not in answer.text
    assert stored(store_url) == set()


def test_the_token_comes_from_a_private_file_or_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "token"
    file.write_text(TOKEN + "\n")
    file.chmod(0o600)
    env = {bearer.ENV_TOKEN: "ignored-when-a-file-is-given"}
    wiring = check_wiring(ServeOptions(token_file=file), env)
    assert wiring == {bearer.ENV_TOKEN_FILE: str(file)}
    assert bearer.load_token({**env, **wiring}) == TOKEN
    assert bearer.load_token({bearer.ENV_TOKEN: TOKEN}) == TOKEN
    assert bearer.load_token({}) is None
    file.chmod(0o640)
    with pytest.raises(InputError) as readable:
        check_wiring(ServeOptions(token_file=file), {})
    assert f"chmod 600 {file}" in str(readable.value) and TOKEN not in str(readable.value)
    for bad in ("short", "has space in it and is long", ""):
        with pytest.raises(InputError) as refused:
            bearer.load_token({bearer.ENV_TOKEN: bad})
        assert "$MAILCTL_SERVE_TOKEN" in str(refused.value)
        assert "openssl rand -hex 32" in str(refused.value)
    with pytest.raises(InputError) as absent:
        bearer.load_token({bearer.ENV_TOKEN_FILE: str(tmp_path / "none")})
    assert "none" in str(absent.value)

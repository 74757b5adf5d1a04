"""A new apply while many requests are in flight, on SQLite and PostgreSQL: every
answer comes wholly from one serial (the serial in the ETag, the serial in the body
and the settings of that serial agree), and the service reaches the last serial.
Applies go through the application layer (``apply_path``), as ``mailctl apply`` does.
Also: serving a SQLite store creates no file beside it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio.to_thread
import httpx

from reconciler.app.apply import ApplyPathRequest, apply_path
from reconciler.app.plan import Planned
from tests.serve.client_support import client, get_all, serial_of, served

APPLIES = 4
BASE_PORT = 1000
MAX_ROUNDS = 3000  # a bound, should the service never reach the last serial


class Yes:
    def show(self, planned: Planned) -> None:
        pass

    def confirm(self, where: str) -> bool:
        return True


def domains_yaml(port: int) -> str:
    return (
        "version: 1\ndomains:\n"
        "  example.com:\n"
        f"    imap: {{host: imap.example.com, port: {port}, security: ssl}}\n"
        "    smtp: {host: smtp.example.com}\n"
        "  plain.example:\n"
        "    imap: {host: imap.plain.example}\n"
        "    smtp: {host: smtp.plain.example}\n"
    )


def apply_port(folder: Path, url: str, port: int) -> int:
    path = folder / "domains.yaml"
    path.write_text(domains_yaml(port))
    request = ApplyPathRequest(path, "tester", state_url=url, lifted=frozenset({"checks"}))
    done = apply_path(request, Yes())
    assert done.applied is not None and done.applied.serial is not None
    return done.applied.serial


def test_no_answer_mixes_two_serials(store_url: str, tmp_path: Path) -> None:
    ports = {apply_port(tmp_path, store_url, BASE_PORT): BASE_PORT}  # serial -> imap port
    app, source, _ = served(store_url, poll_interval=0.01)
    answers: list[httpx.Response] = []

    async def applies() -> None:
        for n in range(1, APPLIES + 1):
            serial = await anyio.to_thread.run_sync(apply_port, tmp_path, store_url, BASE_PORT + n)
            ports[serial] = BASE_PORT + n
            await asyncio.sleep(0.05)

    async def ask(c: httpx.AsyncClient, done: asyncio.Event) -> None:
        for _ in range(MAX_ROUNDS):
            if done.is_set():
                return
            answers.append(await c.get("/v1/domains/example.com"))
            answers.append(await c.get("/v1/settings?email=a@example.com"))
            answers.append(await c.get("/mail/config-v1.1.xml?emailaddress=a@example.com"))
            # In process, a request never waits on I/O: let the applies and polls run.
            await asyncio.sleep(0.001)

    async def go() -> None:
        async with client(app) as c:
            done = asyncio.Event()
            askers = [asyncio.create_task(ask(c, done)) for _ in range(8)]
            await applies()
            for _ in range(500):  # the poll loop picks up the last apply
                if source.current.serial == max(ports):
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
            done.set()
            await asyncio.gather(*askers)

    asyncio.run(go())
    seen = set()
    for answer in answers:
        assert answer.status_code == 200
        serial = serial_of(answer)
        seen.add(serial)
        port = ports[serial]
        if answer.headers["content-type"] == "application/xml":
            assert f"<port>{port}</port>" in answer.text
        else:
            assert answer.json()["serial"] == serial
            assert answer.json()["imap"]["port"] == port
    assert max(ports) in seen and len(seen) >= 2


def test_serving_sqlite_creates_no_file_beside_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    apply_port(tmp_path, url, BASE_PORT)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert before == ["domains.yaml", "state.db", "state.db.lock"]
    (tmp_path / "state.db.lock").unlink()  # left by the apply, not by the server
    app, source, _ = served(url)

    async def go() -> None:
        async with client(app) as c:
            assert (await c.get("/v1/domains/example.com")).status_code == 200
            source.poll()
            assert (await c.get("/healthz")).json()["serial"] == 1

    asyncio.run(go())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["domains.yaml", "state.db"]
    (answer,) = get_all(url, "/v1/domains")
    assert answer.status_code == 200

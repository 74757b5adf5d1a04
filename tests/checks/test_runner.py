"""The runner: per-server cap, deduplication, order, against a counting loopback server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from reconciler.checks.runner import check_all, run_checks
from reconciler.net.resolver import static_resolver
from reconciler.plan.evidence import CheckResult, CheckTarget
from tests.checks import servers
from tests.checks.harness import imap


@dataclass
class Counter:
    """A minimal IMAP server that counts connections open at the same time."""

    open: int = 0
    peak: int = 0
    total: int = 0
    ports: list[int] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.total += 1
        self.peak = max(self.peak, self.open)
        try:
            await asyncio.sleep(0.05)  # long enough for checks to overlap
            writer.write(b"* OK counting\r\n")
            while line := await reader.readline():
                tag, command = line.split()[:2]
                if command.upper() == b"CAPABILITY":
                    writer.write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
                else:
                    writer.write(b"* BYE\r\n" + tag + b" OK bye\r\n")
                    await writer.drain()
                    break
                await writer.drain()
        finally:
            self.open -= 1
            writer.close()


async def _serve(counter: Counter, count: int) -> list[asyncio.Server]:
    started = []
    for _ in range(count):
        server = await asyncio.start_server(counter.handle, "127.0.0.1", 0)
        counter.ports.append(server.sockets[0].getsockname()[1])
        started.append(server)
    return started


async def _run(
    targets_for: object, ports: int, **options: object
) -> tuple[Counter, list[CheckResult]]:
    counter = Counter()
    started = await _serve(counter, ports)
    try:
        assert callable(targets_for)
        targets = targets_for(counter.ports)
        results = await run_checks(targets, allow_private=True, env={}, **options)  # type: ignore[arg-type]
    finally:
        for server in started:
            server.close()
            await server.wait_closed()
    return counter, results


def test_never_more_than_five_connections_to_one_host_name() -> None:
    def targets(ports: list[int]) -> list[CheckTarget]:
        return [imap(p, "none", host="count.test.example") for p in ports]

    resolver = static_resolver({"count.test.example": ["127.0.0.1"]})
    counter, results = asyncio.run(_run(targets, 15, pool=32, resolver=resolver))
    assert all(r.verdict == "passed" for r in results), [r.message for r in results]
    assert counter.total == 15
    assert counter.peak == 5


def test_never_more_than_five_connections_to_one_address_under_many_names() -> None:
    names = [f"alias{i}.test.example" for i in range(15)]
    resolver = static_resolver({name: ["127.0.0.1"] for name in names})

    def targets(ports: list[int]) -> list[CheckTarget]:
        return [imap(ports[0], "none", host=name) for name in names]

    counter, results = asyncio.run(_run(targets, 1, pool=32, resolver=resolver))
    assert all(r.verdict == "passed" for r in results), [r.message for r in results]
    assert counter.peak == 5


def test_pool_bounds_all_checks() -> None:
    names = {f"h{i}.test.example": ["127.0.0.1"] for i in range(6)}

    def targets(ports: list[int]) -> list[CheckTarget]:
        return [imap(ports[i], "none", host=name) for i, name in enumerate(names)]

    counter, _ = asyncio.run(_run(targets, 6, pool=2, per_host=5, resolver=static_resolver(names)))
    assert counter.peak == 2


def test_duplicates_are_checked_once_and_results_keep_input_order() -> None:
    seen: list[CheckResult] = []
    resolver = static_resolver({"count.test.example": ["127.0.0.1"]})

    def targets(ports: list[int]) -> list[CheckTarget]:
        a, b, c = (imap(p, "none", host="count.test.example") for p in ports)
        return [c, a, c, b, a]

    counter, results = asyncio.run(_run(targets, 3, resolver=resolver, progress=seen.append))
    ports = counter.ports
    assert [r.target.port for r in results] == [ports[2], ports[0], ports[2], ports[1], ports[0]]
    assert counter.total == 3
    assert len(seen) == 3
    assert results[0] is results[2]


def test_check_all_is_the_synchronous_entry_point() -> None:
    port = servers.closed_port()
    (result,) = check_all(
        [imap(port, "none")],
        allow_private=True,
        resolver=static_resolver({"imap.test.example": ["127.0.0.1"]}),
    )
    assert result.failed_step == "connect"

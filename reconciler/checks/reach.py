"""The first steps of a check: resolve the name, judge every address with the SSRF
guard, and open TCP to exactly an address the guard allowed, holding that address's
slot (a cap on concurrent connections per server) while the check runs. Each step is
timed and traced; a name that resolves only to non-public addresses is refused, not
connected to, unless private targets are allowed."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from reconciler.checks.limits import ServerSlots
from reconciler.checks.session import CheckFailure, Connection, Connector, Trace
from reconciler.net.guard import IPAddress, judged
from reconciler.net.resolver import NameNotResolved, Resolver, resolve
from reconciler.plan.evidence import CheckTarget


def describe(error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError):
        return "connection reset by the server"
    return error.strerror or str(error) or type(error).__name__


class Reach:
    """A check's way to its server: the addresses it may use and its open connection."""

    def __init__(
        self,
        target: CheckTarget,
        trace: Trace,
        allow_private: bool,
        resolver: Resolver,
        connector: Connector,
        address_slots: ServerSlots | None,
    ) -> None:
        self.target = target
        self.trace = trace
        self.allow_private = allow_private
        self.resolver = resolver
        self.connector = connector
        self.address_slots = address_slots
        self.overall: asyncio.Timeout | None = None
        self.conn: Connection | None = None
        self.slots = AsyncExitStack()

    async def _resolve(self) -> list[IPAddress]:
        async with self.trace.step("resolve"):
            try:
                found = await resolve(
                    self.target.host, self.target.port, self.resolver, self.trace.step_timeout
                )
            except NameNotResolved as error:
                raise CheckFailure("resolve", str(error)) from None
        self.trace.addresses = [str(a) for a in found]
        return found

    def _guard(self, addresses: list[IPAddress]) -> list[IPAddress]:
        if self.allow_private:
            return addresses
        self.trace.current = "guard"
        allowed, listed = judged(addresses)
        if not allowed:
            raise CheckFailure(
                "guard",
                f"refused to connect: every address is non-public: {listed}; "
                "allow private targets (--allow-private-targets) to check it anyway",
                verdict="refused",
            )
        if listed:
            self.trace.warn(f"skipped non-public addresses: {listed}")
        return allowed

    async def _hold_address(self, address: str) -> None:
        if self.address_slots is None:
            return
        waited = await self.slots.enter_async_context(self.address_slots.hold(address))
        if self.overall is not None and (when := self.overall.when()) is not None:
            self.overall.reschedule(when + waited)

    async def _connect_any(self, addresses: list[IPAddress]) -> Connection:
        problems: list[str] = []
        for address in addresses:
            try:
                return await self._connect(str(address))
            except CheckFailure as failure:
                problems.append(f"{address} ({failure.message})")
            except OSError as error:
                problems.append(f"{address} ({describe(error)})")
            await self.slots.aclose()
        if len(problems) == 1:
            raise CheckFailure("connect", f"could not connect to {problems[0]}")
        raise CheckFailure(
            "connect",
            f"could not connect to any of {len(problems)} addresses: " + "; ".join(problems),
        )

    async def _connect(self, address: str) -> Connection:
        """Open TCP to exactly ``address`` (checked by the guard), holding its slot."""
        await self._hold_address(address)
        if address not in self.trace.tried:
            self.trace.tried.append(address)
        async with self.trace.step("connect"):
            wire = await self.connector(address, self.target.port)
        self.trace.connected_address = address
        return Connection(wire, self.trace.budget, self.trace.text)

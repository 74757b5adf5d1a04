"""How many connections may be open at once to one server.

A server is known by its host name *and* by each address it resolves to: many domains
often point different names at one machine, which must not see more than the cap.
Slots are taken in one order (host name first, then address), so two checks cannot
wait on each other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ServerSlots:
    """At most ``per_server`` holders per key; keys are host names or addresses."""

    def __init__(self, per_server: int) -> None:
        if per_server < 1:
            raise ValueError("per_server must be at least 1")
        self._per_server = per_server
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[float]:
        """Hold a slot for ``key``; yields how many seconds were spent waiting for it."""
        semaphore = self._semaphores.setdefault(
            key.lower().rstrip("."), asyncio.Semaphore(self._per_server)
        )
        started = time.monotonic()
        async with semaphore:
            yield time.monotonic() - started

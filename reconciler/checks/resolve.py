"""Host name -> addresses, through an injectable resolver.

The engine resolves once, judges every address with the guard, and connects to the
addresses it judged: a second lookup could answer differently (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence

from reconciler.checks.guard import IPAddress

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``await resolver(host, port)`` -> address strings, in preference order.

Raises ``LookupError`` (with a message for a person) when the name does not resolve.
"""


class NameNotResolved(LookupError):
    """The host name has no address; the message says why, for a person."""


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """All addresses of ``host`` from the system resolver (getaddrinfo, TCP)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise NameNotResolved(f"host name does not resolve ({error.strerror})") from None
    except UnicodeError:
        raise NameNotResolved("host name is not a valid DNS name") from None
    return [str(info[4][0]) for info in infos]


def static_resolver(table: Mapping[str, Sequence[str]]) -> Resolver:
    """A resolver answering from ``table`` (name -> addresses) and nothing else.

    For tests and for pinned set-ups: a name missing from the table does not resolve.
    """
    normalised = {name.lower().rstrip("."): tuple(addresses) for name, addresses in table.items()}

    async def resolve(host: str, port: int) -> Sequence[str]:
        addresses = normalised.get(host.lower().rstrip("."))
        if not addresses:
            raise NameNotResolved("host name does not resolve (not in the resolver table)")
        return addresses

    return resolve


def pinned_resolver(pinned: Mapping[str, Sequence[str]], fallback: Resolver) -> Resolver:
    """``--resolve HOST=ADDRESS``: pinned names answer from ``pinned``, others from
    ``fallback``. The answers are still judged by the target guard."""
    if not pinned:
        return fallback
    table = {name.lower().rstrip("."): tuple(addresses) for name, addresses in pinned.items()}

    async def resolve(host: str, port: int) -> Sequence[str]:
        found = table.get(host.lower().rstrip("."))
        return found if found else await fallback(host, port)

    return resolve


def ip_literal(host: str) -> IPAddress | None:
    """The address when ``host`` is an IP literal (``[v6]`` allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve(host: str, port: int, resolver: Resolver, timeout: float) -> list[IPAddress]:
    """Every address of ``host``: deduplicated, in the resolver's order.

    IP literals skip the resolver. Raises ``NameNotResolved`` when there is no
    address and ``TimeoutError`` when the resolver takes longer than ``timeout``.
    """
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    async with asyncio.timeout(timeout):
        answers = await resolver(host, port)
    found: dict[IPAddress, None] = {}
    for answer in answers:
        # Scoped IPv6 (fe80::1%eth0) keeps its scope out of the judgement.
        found.setdefault(ipaddress.ip_address(answer.split("%", 1)[0]), None)
    if not found:
        raise NameNotResolved("host name has no address")
    return list(found)

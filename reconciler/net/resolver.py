"""Host name -> addresses, through an injectable resolver.

The engine resolves once, judges every address with the guard, and connects to the
addresses it judged: a second lookup could answer differently (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence

from reconciler.desired import names
from reconciler.net.guard import IPAddress

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


class PinProblem(ValueError):
    """A ``--resolve HOST=ADDRESS`` value that cannot be used; the message says why."""


def parse_pin(value: str) -> tuple[str, str]:
    """``HOST=ADDRESS`` as (normalised host name, address in its canonical form).

    Only an unambiguous address is taken: four decimal octets or an IPv6 literal
    (``[brackets]`` allowed). The forms some resolvers also accept (``127.1``,
    ``0x7f000001``, ``2130706433``) are refused rather than guessed at, and so are
    lists (``a,b``): repeat the option for several addresses. Raises PinProblem.
    """
    host, sep, address = value.partition("=")
    host, address = host.strip(), address.strip()
    if not sep or not host or not address:
        raise PinProblem(f"{value!r}: write HOST=ADDRESS, e.g. imap.example.com=192.0.2.7")
    try:
        name = names.normalise_host(host)
    except names.NameProblem as problem:
        raise PinProblem(f"{host!r} is not a host name: {problem.message}") from None
    if ip_literal(name) is not None:
        raise PinProblem(f"{host!r} is an IP address already; pin a host name to an address")
    if "," in address:
        raise PinProblem(
            f"{address!r} is a list; give one address per --resolve and repeat the option"
        )
    literal = address[1:-1] if address.startswith("[") and address.endswith("]") else address
    if "%" in literal:
        raise PinProblem(f"{address!r} names an IPv6 zone (%…), which a pinned address cannot have")
    try:
        parsed = ipaddress.ip_address(literal)
    except ValueError:
        raise PinProblem(
            f"{address!r} is not an IP address; write four decimal octets such as "
            "192.0.2.7, or an IPv6 address such as 2001:db8::7"
        ) from None
    if literal is not address and parsed.version == 4:
        raise PinProblem(f"{address!r}: only an IPv6 address is written in [brackets]")
    return name, str(parsed)


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

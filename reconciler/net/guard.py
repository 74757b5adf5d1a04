"""The SSRF guard: which resolved addresses a check may connect to. Pure, no I/O.

Pull requests decide which host names CI connects to, so by default a check only
reaches public unicast addresses. Ranges that are never a real mail server on the
internet are refused too (documentation, benchmarking, reserved): if such an address
answers at all, it is something inside our own network (198.18.0.0/15, for example, is
used internally by benchmark labs and by proxies' "fake IP" modes).
"""

from __future__ import annotations

import ipaddress
from typing import Final

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Most specific first: the first match names the reason.
_REFUSED_V4: Final[tuple[tuple[_V4, str], ...]] = (
    (_V4("0.0.0.0/32"), "unspecified address"),
    (_V4("0.0.0.0/8"), "reserved address ('this network', RFC 1122)"),
    (_V4("10.0.0.0/8"), "private address (RFC 1918)"),
    (_V4("100.64.0.0/10"), "shared address space (carrier-grade NAT, RFC 6598)"),
    (_V4("127.0.0.0/8"), "loopback address"),
    (_V4("169.254.169.254/32"), "cloud metadata service address (link-local)"),
    (_V4("169.254.0.0/16"), "link-local address"),
    (_V4("172.16.0.0/12"), "private address (RFC 1918)"),
    (_V4("192.0.0.0/24"), "reserved address (IETF protocol assignments)"),
    (_V4("192.0.2.0/24"), "documentation address (TEST-NET-1)"),
    (_V4("192.88.99.0/24"), "reserved address (deprecated 6to4 relay)"),
    (_V4("192.168.0.0/16"), "private address (RFC 1918)"),
    (_V4("198.18.0.0/15"), "benchmarking address (RFC 2544)"),
    (_V4("198.51.100.0/24"), "documentation address (TEST-NET-2)"),
    (_V4("203.0.113.0/24"), "documentation address (TEST-NET-3)"),
    (_V4("224.0.0.0/4"), "multicast address"),
    (_V4("255.255.255.255/32"), "broadcast address"),
    (_V4("240.0.0.0/4"), "reserved address (future use)"),
)

_REFUSED_V6: Final[tuple[tuple[_V6, str], ...]] = (
    (_V6("::/128"), "unspecified address"),
    (_V6("::1/128"), "loopback address"),
    (_V6("fd00:ec2::254/128"), "cloud metadata service address (unique local)"),
    (_V6("fc00::/7"), "private address (unique local, fc00::/7)"),
    (_V6("fe80::/10"), "link-local address"),
    (_V6("fec0::/10"), "site-local address (deprecated)"),
    (_V6("ff00::/8"), "multicast address"),
    (_V6("64:ff9b:1::/48"), "private address (local-use NAT64)"),
    (_V6("2001::/32"), "Teredo tunnel address"),
    (_V6("2001:db8::/32"), "documentation address"),
    (_V6("3fff::/20"), "documentation address"),
)

# Prefixes that carry an IPv4 address: judged by the address they lead to.
_NAT64: Final = _V6("64:ff9b::/96")
_GLOBAL_UNICAST: Final = _V6("2000::/3")


def refusal(address: IPAddress) -> str | None:
    """Why a check must not connect to ``address``, or None when it may.

    Contract: returns None only for public unicast addresses. An IPv6 address that
    embeds an IPv4 address (IPv4-mapped, NAT64, 6to4) is judged by the IPv4 address,
    so ``::ffff:127.0.0.1`` is refused as loopback.
    """
    if isinstance(address, ipaddress.IPv4Address):
        return _first_match(address, _REFUSED_V4)
    embedded = _embedded_v4(address)
    if embedded is not None:
        kind, v4 = embedded
        reason = refusal(v4)
        return None if reason is None else f"{kind} {v4}: {reason}"
    reason = _first_match(address, _REFUSED_V6)
    if reason is None and address not in _GLOBAL_UNICAST:
        # Everything outside 2000::/3 is unassigned or special-purpose (IANA).
        return "reserved address (outside IPv6 global unicast 2000::/3)"
    return reason


def _first_match(
    address: IPAddress,
    table: tuple[tuple[_V4, str], ...] | tuple[tuple[_V6, str], ...],
) -> str | None:
    for network, reason in table:
        if address in network:
            return reason
    return None


def _embedded_v4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address.sixtofour is not None:
        return "6to4 for", address.sixtofour
    if address in _NAT64:
        return "NAT64 for", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def judged(addresses: list[IPAddress]) -> tuple[list[IPAddress], str]:
    """The addresses the guard allows, in order, and the refused ones described
    (``"10.0.0.7 (private)"``, joined by ``; ``; empty when none was refused)."""
    refused = {a: r for a in addresses if (r := refusal(a)) is not None}
    listed = "; ".join(f"{a} ({r})" for a, r in refused.items())
    return [a for a in addresses if a not in refused], listed

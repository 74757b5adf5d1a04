"""IP ranges in a stable order. Pure."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable


def sort_ranges(ranges: Iterable[str]) -> tuple[str, ...]:
    """IPv4 before IPv6, then by address and prefix length."""
    networks = sorted(
        (ipaddress.ip_network(r) for r in ranges),
        key=lambda n: (n.version, n.network_address, n.prefixlen),
    )
    return tuple(str(n) for n in networks)

"""IP ranges: the one policy for reading a range, wherever it comes from, and a stable
order. Pure.

Inline ranges and feed entries end up verbatim in firewall files, so what a range may
be is decided once, here:

* a network address with its prefix, or a bare address (a /32 or /128);
* host bits set are refused, not cleared: in an allowlist a typo that widens or
  narrows a range must be seen by a person, not fixed by a guess;
* an IPv6 zone (``fe80::1%eth0``) is refused: ``ipaddress`` accepts any text after the
  ``%``, newlines included, and keeps it when printed, which would let a range write
  its own lines into a firewall file;
* ``/0`` (every address) is refused: allowlisting the whole internet is no allowlist.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# What a mistyped range may look like: a short run of letters, digits and punctuation.
# Anything else (a line of a file that is no feed, a key=value) is described, not quoted.
_ADDRESS_TEXT = re.compile(r"[0-9A-Za-z.:/%\[\] _-]{0,50}")


def quoted(value: object) -> str:
    """``value`` for a message: quoted when it looks like a (mistyped) address,
    described otherwise, so that a file mistaken for a feed is not echoed into logs."""
    if isinstance(value, str):
        if _ADDRESS_TEXT.fullmatch(value):
            return repr(value)
        return f"a value of {len(value)} characters"
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a JSON object"
    return "a JSON list" if isinstance(value, list) else f"a {type(value).__name__}"


class RangeError(ValueError):
    """Why a value is not a range. ``kind``: cidr, cidr_host_bits, cidr_zone, cidr_all."""

    def __init__(self, kind: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint


def parse_range(value: str) -> Network:
    """The network ``value`` writes, by the policy above; raises RangeError."""
    if "%" in value:
        raise RangeError(
            "cidr_zone",
            f"{quoted(value)} names an IPv6 zone (%…), which a range cannot have",
            "write the range without the %zone",
        )
    try:
        network = ipaddress.ip_network(value)
    except ValueError:
        try:
            interface = ipaddress.ip_interface(value)
        except ValueError:
            raise RangeError(
                "cidr",
                f"{quoted(value)} is not an IP address or CIDR range",
                "write ranges like 192.0.2.0/28 or 2001:db8::/48",
            ) from None
        raise RangeError(
            "cidr_host_bits",
            f"{quoted(value)} has host bits set: a range must start at its network address",
            f"write {interface.network} for the whole range, or "
            f"{interface.ip}/{interface.network.max_prefixlen} for the single address",
        ) from None
    if network.prefixlen == 0:
        raise RangeError(
            "cidr_all",
            f"{quoted(value)} is every IPv{network.version} address: that allows everyone",
            "list the service's egress ranges",
        )
    return network


def sort_ranges(ranges: Iterable[str]) -> tuple[str, ...]:
    """IPv4 before IPv6, then by address and prefix length."""
    networks = sorted(
        (ipaddress.ip_network(r) for r in ranges),
        key=lambda n: (n.version, n.network_address, n.prefixlen),
    )
    return tuple(str(n) for n in networks)

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
* netmask notation (``192.0.2.0/255.255.255.0``, or the hostmask ``/0.0.0.255``) is
  refused: ``ipaddress`` reads both, but a reader of the file or of a firewall rule
  expects a prefix length, and a mask mistyped as a hostmask means another range;
* ``/0`` (every address) is refused: allowlisting the whole internet is no allowlist.

The same holds for all ranges together (:func:`too_broad`): firewalls merge what they
are given, so ``0.0.0.0/1`` and ``128.0.0.0/1`` are ``/0`` again. The collapsed union
of every connection range, inline and from feeds, must stay within a floor per family
(:data:`BROADEST`, :data:`MOST_ADDRESSES`). Every published feed mailctl reads (AWS,
Google, GitHub, Atlassian, Cloudflare), unfiltered and even all of them together, stays
well within it (at most a /9 and 2^27.2 IPv4 addresses, a /28 and 2^102.2 IPv6 ones).
"""

from __future__ import annotations

import bisect
import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# What a mistyped range may look like: a short run of letters, digits and punctuation.
# Anything else (a line of a file that is no feed, a key=value) is described, not quoted.
_ADDRESS_TEXT = re.compile(r"[0-9A-Za-z.:/%\[\] _-]{0,50}")
# A mask written as an address: what ``ipaddress`` reads as a netmask or hostmask.
_MASK = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")


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
    """Why a value is not a range. ``kind``: cidr, cidr_host_bits, cidr_zone,
    cidr_netmask, cidr_all."""

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
    address, slash, prefix = value.partition("/")
    if slash and _MASK.fullmatch(prefix):
        raise RangeError(
            "cidr_netmask",
            f"{quoted(value)} writes a mask ({quoted(prefix)}) where a range has a prefix length",
            f"write {address}/{_prefix_of(prefix)}"
            if _prefix_of(prefix)
            else "write a prefix length: 192.0.2.0/24, not 192.0.2.0/255.255.255.0",
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


def _prefix_of(mask: str) -> str:
    """The prefix length a netmask or hostmask stands for, as the hint to write
    instead ('' when it is neither)."""
    try:
        return str(ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen)
    except ValueError:
        return ""


def sort_ranges(ranges: Iterable[str]) -> tuple[str, ...]:
    """IPv4 before IPv6, then by address and prefix length."""
    networks = sorted(
        (ipaddress.ip_network(r) for r in ranges),
        key=lambda n: (n.version, n.network_address, n.prefixlen),
    )
    return tuple(str(n) for n in networks)


# The floor for the collapsed union of all connection ranges, per IP version: no
# collapsed range broader than this prefix length ...
BROADEST = {4: 8, 6: 16}
# ... and no more addresses in all than this (IPv4: sixteen /8s; IPv6: one /16).
MOST_ADDRESSES = {4: 2**28, 6: 2**112}
_LISTED = 6  # involved ranges named in a message


@dataclass(frozen=True)
class TooBroad:
    """All ranges of one IP version together cover more than the floor allows.
    ``involved``: the given ranges that make it so (those inside a too broad range, in
    the order given; or all of them, broadest first, when they cover too much)."""

    version: int
    reason: str
    involved: tuple[str, ...]

    def describe(self, origin: Callable[[str], str] | None = None) -> str:
        """``reason`` and the involved ranges (the first few), each followed by
        ``origin(range)`` when given (where it comes from)."""
        shown = [f"{r} ({origin(r)})" if origin else r for r in self.involved[:_LISTED]]
        more = len(self.involved) - len(shown)
        listed = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
        return f"{self.reason}; from: {listed}"


def floor_text(version: int) -> str:
    """The floor of ``version`` in words, for hints and documentation."""
    return (
        f"no collapsed IPv{version} range broader than a /{BROADEST[version]}, "
        f"at most {_amount(version, MOST_ADDRESSES[version])} addresses in all"
    )


def too_broad(ranges: Iterable[str]) -> list[TooBroad]:
    """What breaks the floor once ``ranges`` (valid ranges, as parse_range returns them)
    are collapsed as an allowlist collapses them: at most one TooBroad per IP version."""
    given: dict[int, list[tuple[str, Network]]] = {4: [], 6: []}
    for text in dict.fromkeys(ranges):
        network = ipaddress.ip_network(text)
        given[network.version].append((text, network))
    problems = []
    for version, items in given.items():
        collapsed = _collapse([n for _, n in items])
        wide = [n for n in collapsed if n.prefixlen < BROADEST[version]]
        total = sum(n.num_addresses for n in collapsed)
        if wide:
            reason = (
                f"together they collapse to {', '.join(map(str, wide[:_LISTED]))}"
                + (f" and {len(wide) - _LISTED} more" if len(wide) > _LISTED else "")
                + f", broader than the /{BROADEST[version]} a collapsed IPv{version} range "
                "may be"
            )
            involved = _within(items, collapsed, set(wide))
        elif total > MOST_ADDRESSES[version]:
            reason = (
                f"together they cover {_amount(version, total)} IPv{version} addresses, "
                f"more than the {_amount(version, MOST_ADDRESSES[version])} allowed"
            )
            # every range counts; the broadest first, as they weigh most
            involved = tuple(
                text for text, _ in sorted(items, key=lambda i: (i[1].prefixlen, i[1]))
            )
        else:
            continue
        problems.append(TooBroad(version, reason, involved))
    return problems


def _collapse(networks: Sequence[Network]) -> list[Network]:
    """``networks`` (of one IP version) collapsed, sorted by address."""
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]


def _within(
    items: Sequence[tuple[str, Network]], collapsed: Sequence[Network], chosen: set[Network]
) -> tuple[str, ...]:
    """The given ranges inside the ``chosen`` ones of ``collapsed`` (sorted, disjoint):
    each given range lies in exactly one collapsed range, found by bisection."""
    starts = [int(n.network_address) for n in collapsed]
    found = []
    for text, network in items:
        index = bisect.bisect_right(starts, int(network.network_address)) - 1
        if collapsed[index] in chosen:
            found.append(text)
    return tuple(found)


def _amount(version: int, count: int) -> str:
    """A number of addresses: exact for IPv4, a power of two for IPv6."""
    power = math.log2(count)
    exponent = f"{power:.0f}" if power.is_integer() else f"{power:.1f}"
    return f"{count:,} (2^{exponent})" if version == 4 else f"2^{exponent}"

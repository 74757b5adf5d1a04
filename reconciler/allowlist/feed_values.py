"""The values of a published feed, judged one by one: each range parsed by the policy
of every range (``reconciler.desired.ranges``), worded for a feed, and every error a
:class:`FeedError` that quotes a feed's text only when it looks like an address
(:func:`shown`). A file that is no feed (a key, a config holding a token) named as one
must not have its lines copied into a plan, a log or a comment."""

from __future__ import annotations

import ipaddress
import re

from reconciler.desired.ranges import RangeError, parse_range
from reconciler.errors import MailctlError

DAMAGED = (
    "the feed's publisher changed its format, or the file is damaged: "
    "compare it with the publisher's copy"
)


# What a (mistyped) range of a feed looks like: hex digits, dots and colons, with at least
# one dot or colon, and a prefix length. Nothing else from a feed is ever quoted: a word,
# a key=value, a token or a hex string without separators is described by its length.
_RANGE_LIKE = re.compile(r"(?=[^/]*[.:])[0-9A-Fa-f.:]{2,45}(?:/[0-9]{1,3})?")


def shown(value: object) -> str:
    """A value read from a feed, for a message: quoted when it looks like an address,
    else described without its content."""
    if isinstance(value, str):
        if _RANGE_LIKE.fullmatch(value):
            return repr(value)
        return f"a value of {len(value)} characters"
    return f"a JSON {kind(value)}"


def kind(value: object) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


class FeedError(MailctlError):
    """A feed that cannot be read or used; ``message`` names the entry at fault."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class RangeSet:
    """Normalised ranges in first-seen order; each distinct spelling is parsed once
    (AWS lists many prefixes twice: under AMAZON and under the specific service)."""

    def __init__(self) -> None:
        self._parsed: dict[str, str] = {}
        self._kept: dict[str, None] = {}

    def parse(self, value: object) -> str:
        """``value`` as a normalised range; raises BadRange when it is not one."""
        if not isinstance(value, str):
            raise BadRange(f"{shown(value)} is not a CIDR range (not a string)")
        known = self._parsed.get(value)
        if known is None:
            known = self._parsed[value] = network(value)
        return known

    def keep(self, network: str) -> None:
        self._kept[network] = None

    def result(self) -> tuple[str, ...]:
        return tuple(self._kept)


class BadRange(Exception):
    """A value that is not a range; the caller adds where in the feed it is. (Places
    are only spelled out for an error: building them for 17,000 good entries costs
    more than parsing some of them.)"""

    def __init__(self, problem: str, hint: str = DAMAGED, field: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.field = field  # the entry's field at fault, when not its range

    def at(self, where: str) -> FeedError:
        return FeedError(f"{where}: {self.problem}", self.hint)


def network(value: str) -> str:
    """By the policy of every range (reconciler.desired.ranges), worded for a feed: a bad entry
    is the publisher's to fix, not something to widen or narrow by hand."""
    try:
        return str(parse_range(value))
    except RangeError as problem:
        if problem.kind == "cidr_host_bits":
            raise BadRange(
                problem.message,
                f"the range that holds it is {ipaddress.ip_interface(value).network}; the "
                "feed is wrong or damaged, so ask its publisher rather than widening the "
                "range by hand",
            ) from None
        if problem.kind == "cidr":
            raise BadRange(f"{shown(value)} is not a CIDR range") from None
        if problem.kind == "cidr_zone":
            raise BadRange(
                f"{shown(value)} names an IPv6 zone (%…), which a range cannot have"
            ) from None
        if problem.kind == "cidr_netmask":
            # The mask is digits and dots; the address part is quoted only when it
            # looks like one.
            if _RANGE_LIKE.fullmatch(value.partition("/")[0]):
                raise BadRange(problem.message, problem.hint) from None
            raise BadRange(
                f"{shown(value)} has a mask where a range has a prefix length",
                "write a prefix length: 192.0.2.0/24, not 192.0.2.0/255.255.255.0",
            ) from None
        # Every other refusal is of a value that parsed as an address: safe to quote.
        raise BadRange(problem.message) from None

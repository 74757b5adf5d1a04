"""Property: whatever the ranges (IPv4 and IPv6, overlapping, nested, adjacent,
duplicated), every file of every format, per domain and combined, expresses exactly
their union, read back from the file's text. The firewall files that the examples make
then go through the real tools, and the kernel must hold the same.

The union is compared as merged integer intervals, computed here without
``ipaddress.collapse_addresses`` (which the code under test uses)."""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.allowlist.rules import Allowlist, DomainRule, Network, Origin, collapse
from tests.allowlist.formats_support import (
    assert_kernel_holds,
    check_in_one_namespace,
    cidrs_of,
    is_firewall_file,
    load_in_namespaces,
    render_all,
)

Intervals = list[tuple[int, int]]

# Ranges drawn near a few anchors, so that they overlap, nest and touch often.
_V4_ANCHORS = [0, 0x0A000000, 0xC0000200, 0xFFFFF000]
_V6_ANCHORS = [0, 0x20010DB8 << 96, (2**128) - (2**20)]


def _network(version: int, anchor: int, offset: int, prefix: int) -> Network:
    if version == 4:
        return ipaddress.IPv4Network(((anchor + offset) % 2**32, prefix), strict=False)
    return ipaddress.IPv6Network(((anchor + offset) % 2**128, prefix), strict=False)


_v4 = st.builds(
    _network,
    st.just(4),
    st.sampled_from(_V4_ANCHORS),
    st.integers(0, 2**12),
    st.one_of(st.integers(22, 32), st.integers(0, 32)),
)
_v6 = st.builds(
    _network,
    st.just(6),
    st.sampled_from(_V6_ANCHORS),
    st.one_of(st.integers(0, 2**12), st.integers(0, 2**12).map(lambda n: n << 90)),
    st.one_of(st.integers(116, 128), st.integers(0, 128)),
)


@st.composite
def _ranges(draw: st.DrawFn) -> list[str]:
    distinct = draw(st.lists(st.one_of(_v4, _v6), max_size=20))
    again = draw(st.lists(st.sampled_from(distinct), max_size=5)) if distinct else []
    return [str(n) for n in distinct + again]


_DOMAINS = ["example.com", "a-b.example", "a.b.example", "xn--bcher-kva.example"]
_port = st.integers(1, 65535)
_rule = st.builds(
    DomainRule,
    st.sampled_from(_DOMAINS),
    st.just("imap.example.com"),
    _port,
    st.just("2001:db8::25"),
    _port,
)
_rules = st.lists(_rule, max_size=3, unique_by=lambda r: r.domain)


def _intervals(cidrs: list[str]) -> tuple[Intervals, Intervals]:
    """The union of ``cidrs`` per family, as sorted, merged [first, last] intervals."""
    spans: dict[int, Intervals] = {4: [], 6: []}
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr)
        first = int(network.network_address)
        spans[network.version].append((first, first + network.num_addresses - 1))
    return _merged(spans[4]), _merged(spans[6])


def _merged(spans: Intervals) -> Intervals:
    merged: Intervals = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _expected(name: str, union: tuple[Intervals, Intervals], domains: int) -> object:
    v4, v6 = union
    if name.endswith(".rules.v4"):
        return (v4, [])
    if name.endswith(".rules.v6"):
        return ([], v6)
    if name.endswith(".csv") and domains == 0:
        return ([], [])  # one row per domain and CIDR: none
    return union


def test_every_file_expresses_the_union_of_the_ranges() -> None:
    loaded: list[tuple[Allowlist, dict[str, bytes]]] = []

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ranges=_ranges(), rules=_rules)
    def check(ranges: list[str], rules: list[DomainRule]) -> None:
        allowlist = Allowlist(
            sources=collapse(ranges),
            domains=tuple(sorted(rules, key=lambda r: r.domain)),
            origin=Origin(),
        )
        union = _intervals(ranges)
        files = render_all(allowlist)
        for name, data in files.items():
            got = _intervals(cidrs_of(name, data))
            assert got == _expected(name, union, len(rules)), name
        loaded.append((allowlist, {n: d for n, d in files.items() if is_firewall_file(n)}))

    check()
    # Every firewall file the examples made goes through the real tools: all checked in
    # one batch, and those of the three examples with the most ranges also loaded
    # twice, each in its own namespace, with the kernel's contents compared.
    check_in_one_namespace(
        {
            f"{i:03}-{name}": data
            for i, (_, files) in enumerate(loaded)
            for name, data in files.items()
        }
    )
    biggest = sorted(loaded, key=lambda example: -len(example[0].sources))[:3]
    for allowlist, files in biggest:
        assert_kernel_holds(allowlist, load_in_namespaces(files))

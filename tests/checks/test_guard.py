"""The SSRF guard as a pure decision, and refusal before any connection is attempted."""

from __future__ import annotations

import ipaddress

import pytest

from reconciler.checks.wire import Wire
from reconciler.net.guard import refusal
from reconciler.net.resolver import static_resolver
from tests.checks.harness import imap, run_check

REFUSED = [
    ("127.0.0.1", "loopback address"),
    ("127.8.9.10", "loopback address"),
    ("10.0.0.1", "private address (RFC 1918)"),
    ("172.16.0.1", "private address (RFC 1918)"),
    ("172.31.255.254", "private address (RFC 1918)"),
    ("192.168.1.1", "private address (RFC 1918)"),
    ("100.64.0.1", "shared address space (carrier-grade NAT, RFC 6598)"),
    ("169.254.1.1", "link-local address"),
    ("169.254.169.254", "cloud metadata service address (link-local)"),
    ("224.0.0.251", "multicast address"),
    ("239.255.255.250", "multicast address"),
    ("240.0.0.1", "reserved address (future use)"),
    ("255.255.255.255", "broadcast address"),
    ("0.0.0.0", "unspecified address"),
    ("0.1.2.3", "reserved address ('this network', RFC 1122)"),
    ("192.0.0.8", "reserved address (IETF protocol assignments)"),
    ("192.0.2.10", "documentation address (TEST-NET-1)"),
    ("198.51.100.10", "documentation address (TEST-NET-2)"),
    ("203.0.113.10", "documentation address (TEST-NET-3)"),
    ("198.18.0.1", "benchmarking address (RFC 2544)"),
    ("::1", "loopback address"),
    ("::", "unspecified address"),
    ("fc00::1", "private address (unique local, fc00::/7)"),
    ("fd12:3456::1", "private address (unique local, fc00::/7)"),
    ("fd00:ec2::254", "cloud metadata service address (unique local)"),
    ("fe80::1", "link-local address"),
    ("fec0::1", "site-local address (deprecated)"),
    ("ff02::1", "multicast address"),
    ("2001:db8::1", "documentation address"),
    ("2001:0:4136:e378::1", "Teredo tunnel address"),
    ("100::1", "reserved address (outside IPv6 global unicast 2000::/3)"),
    ("::ffff:10.0.0.1", "IPv4-mapped 10.0.0.1: private address (RFC 1918)"),
    ("::ffff:127.0.0.1", "IPv4-mapped 127.0.0.1: loopback address"),
    (
        "::ffff:169.254.169.254",
        "IPv4-mapped 169.254.169.254: cloud metadata service address (link-local)",
    ),
    ("64:ff9b::a00:1", "NAT64 for 10.0.0.1: private address (RFC 1918)"),
    ("2002:a00:1::1", "6to4 for 10.0.0.1: private address (RFC 1918)"),
]

ALLOWED = ["8.8.8.8", "1.1.1.1", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_refused_address_classes(address: str, reason: str) -> None:
    assert refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


class RecordingConnector:
    """A spy on the engine's own connection seam: records the call, never connects
    (answers as if the port were closed)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, address: str, port: int) -> Wire:
        self.calls.append((address, port))
        raise ConnectionRefusedError


def test_a_target_resolving_only_to_refused_addresses_is_never_connected() -> None:
    spy = RecordingConnector()
    resolver = static_resolver({"evil.test.example": ["10.0.0.1", "169.254.169.254"]})
    result = run_check(
        imap(993, host="evil.test.example"),
        allow_private=False,
        resolver=resolver,
        connector=spy,
    )
    assert spy.calls == []
    assert result.verdict == "refused"
    assert result.failed_step == "guard"
    assert result.message == (
        "evil.test.example:993: refused to connect: every address is non-public: "
        "10.0.0.1 (private address (RFC 1918)); 169.254.169.254 (cloud metadata service "
        "address (link-local)); allow private targets (--allow-private-targets) to check it "
        "anyway"
    )
    assert result.addresses == ("10.0.0.1", "169.254.169.254")
    assert result.tried_addresses == ()


def test_ip_literal_targets_are_judged_too() -> None:
    spy = RecordingConnector()
    result = run_check(imap(993, host="169.254.169.254"), allow_private=False, connector=spy)
    assert spy.calls == []
    assert result.verdict == "refused"


def test_only_allowed_addresses_are_connected_to() -> None:
    # 127.0.0.1 is refused; the public address is "connected" by the spy, which then
    # fails the attempt: nothing leaves this machine.
    spy = RecordingConnector()
    resolver = static_resolver({"mixed.test.example": ["127.0.0.1", "192.0.2.1", "8.8.8.8"]})
    result = run_check(
        imap(993, host="mixed.test.example"), allow_private=False, resolver=resolver, connector=spy
    )
    assert spy.calls == [("8.8.8.8", 993)]
    assert result.verdict == "failed"
    assert result.failed_step == "connect"
    assert result.warnings[0] == (
        "mixed.test.example:993: skipped non-public addresses: 127.0.0.1 (loopback address); "
        "192.0.2.1 (documentation address (TEST-NET-1))"
    )

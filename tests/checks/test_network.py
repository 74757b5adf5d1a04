"""Resolution, connection and time limits against real loopback sockets."""

from __future__ import annotations

import time

from reconciler.net.resolver import static_resolver, system_resolver
from tests.checks import servers
from tests.checks.harness import imap, run_check, smtp


def test_a_name_that_does_not_resolve_fails_at_resolve() -> None:
    result = run_check(imap(993, host="nowhere.test.example"))
    assert result.verdict == "failed"
    assert result.failed_step == "resolve"
    assert result.message == (
        "nowhere.test.example:993: host name does not resolve (not in the resolver table)"
    )


def test_the_system_resolver_feeds_the_guard() -> None:
    # localhost comes from /etc/hosts: no DNS query leaves this machine.
    result = run_check(imap(993, host="localhost"), resolver=system_resolver, allow_private=False)
    assert result.verdict == "refused"
    assert result.message.startswith("localhost:993: refused to connect: every address is ")
    assert result.tried_addresses == ()


def test_a_closed_port_fails_at_connect() -> None:
    port = servers.closed_port()
    result = run_check(imap(port))
    assert result.verdict == "failed"
    assert result.failed_step == "connect"
    assert result.message == (
        f"imap.test.example:{port}: could not connect to 127.0.0.1 (connection refused)"
    )
    assert result.tried_addresses == ("127.0.0.1",)


def test_every_address_is_tried_in_order() -> None:
    port = servers.closed_port()
    resolver = static_resolver({"multi.test.example": ["127.0.0.3", "127.0.0.4", "127.0.0.3"]})
    result = run_check(imap(port, host="multi.test.example"), resolver=resolver)
    assert result.addresses == ("127.0.0.3", "127.0.0.4")
    assert result.tried_addresses == ("127.0.0.3", "127.0.0.4")
    assert result.message == (
        f"multi.test.example:{port}: could not connect to any of 2 addresses: "
        "127.0.0.3 (connection refused); 127.0.0.4 (connection refused)"
    )


def test_a_server_that_never_greets_fails_at_the_step_timeout() -> None:
    with servers.silent_listener() as port:
        started = time.monotonic()
        result = run_check(imap(port, "none"), step_timeout=0.3, deadline=5)
    assert time.monotonic() - started < 2
    assert result.failed_step == "greeting"
    assert result.message == (
        f"imap.test.example:{port}: timed out after 0.3 s while waiting for the greeting"
    )


def test_a_silent_server_fails_within_the_deadline() -> None:
    with servers.silent_listener() as port:
        started = time.monotonic()
        result = run_check(smtp(port, "starttls"), step_timeout=10, deadline=0.4)
    assert time.monotonic() - started < 2
    assert result.verdict == "failed"
    assert result.failed_step == "deadline"
    assert result.message == (
        f"smtp.test.example:{port}: no result within the 0.4 s deadline "
        "(stopped while waiting for the greeting)"
    )


def test_a_silent_server_stalls_the_tls_handshake_only_until_the_step_timeout() -> None:
    with servers.silent_listener() as port:
        result = run_check(imap(port, "ssl"), step_timeout=0.3)
    assert result.failed_step == "tls"
    assert result.message == (
        f"imap.test.example:{port}: timed out after 0.3 s during the TLS handshake"
    )

"""The inbox use cases called directly: typed options in, values out, nothing printed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.app import inbox
from reconciler.errors import InputError, MailctlError
from reconciler.plan.status import EXIT_OK
from tests.app_support import seeded
from tests.conftest import CORPUS
from tests.store.requests import domain


def test_connect_returns_the_inbox_and_the_settings_it_inherits(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("example.com", port=143, security="starttls")])
    first = inbox.connect(inbox.ConnectOptions("alice@Example.COM.", url))
    assert (first.inbox.address, first.inbox.domain, first.new) == (
        "alice@example.com",
        "example.com",
        True,
    )
    assert (first.domain.imap.port, first.domain.imap.security) == (143, "starttls")
    assert first.status == EXIT_OK
    again = inbox.connect(inbox.ConnectOptions("alice@example.com", url))
    assert again.new is False

    listed = inbox.list_inboxes(inbox.ListOptions("EXAMPLE.com", url))
    assert listed.domain == "example.com"
    assert [(i.inbox.address, i.domain and i.domain.name) for i in listed.inboxes] == [
        ("alice@example.com", "example.com")
    ]
    assert inbox.disconnect(inbox.DisconnectOptions("alice@example.com", url)).address == (
        "alice@example.com"
    )
    assert inbox.list_inboxes(inbox.ListOptions(state_url=url)).inboxes == ()


def test_an_unconfigured_domain_is_refused_with_the_suggestion(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("example.com")])
    options = inbox.ConnectOptions("carol@gmail.com", url, (CORPUS / "ispdb",))
    with pytest.raises(MailctlError) as refused:
        inbox.connect(options)
    message = str(refused.value)
    assert "domain gmail.com is not configured; it is not among the 1 domain in" in message
    assert "    imap: {host: imap.gmail.com, port: 993, security: ssl}\n" in message
    assert inbox.list_inboxes(inbox.ListOptions(state_url=url)).inboxes == ()


def test_bad_input_is_an_input_error_naming_what_was_given(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("example.com")])
    with pytest.raises(InputError) as address:
        inbox.connect(inbox.ConnectOptions("alice", url))
    assert str(address.value.diagnostics[0].location) == "ADDRESS"
    with pytest.raises(InputError) as only:
        inbox.list_inboxes(inbox.ListOptions("bad..example", url))
    assert str(only.value.diagnostics[0].location) == "--domain"
    with pytest.raises(MailctlError, match=r"no inbox bob@example\.com is connected"):
        inbox.disconnect(inbox.DisconnectOptions("bob@example.com", url))


def test_the_autoconfig_sources_come_from_the_environment() -> None:
    env = {"MAILCTL_AUTOCONFIG": f"a.xml{os.pathsep}b/"}
    assert inbox.autoconfig_from_env(env) == (Path("a.xml"), Path("b"))
    assert inbox.autoconfig_from_env({}) == ()


def test_an_idna_inbox_carries_its_unicode_spelling(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("xn--bcher-kva.example"), domain("example.com")])
    done = inbox.connect(inbox.ConnectOptions("Bob@Bücher.example", url))
    assert done.inbox.address == "Bob@xn--bcher-kva.example"
    assert done.unicode == ("Bob@bücher.example", "bücher.example")
    inbox.connect(inbox.ConnectOptions("alice@example.com", url))
    listed = inbox.list_inboxes(inbox.ListOptions(state_url=url)).inboxes
    assert sorted((i.inbox.address, i.unicode) for i in listed) == [
        ("Bob@xn--bcher-kva.example", ("Bob@bücher.example", "bücher.example")),
        ("alice@example.com", ("alice@example.com", "example.com")),
    ]


def test_listing_a_domain_that_is_not_configured_says_so(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("example.com")])
    with pytest.raises(MailctlError, match=r"domain nothere\.test is not configured") as caught:
        inbox.list_inboxes(inbox.ListOptions("nothere.test", url))
    assert "not among the 1 domain in" in str(caught.value)
    with pytest.raises(MailctlError, match=r"xn--bcher-kva\.example \(bücher\.example\)"):
        inbox.list_inboxes(inbox.ListOptions("bücher.example", url))
    # A configured domain without inboxes is simply empty.
    assert inbox.list_inboxes(inbox.ListOptions("example.com", url)).inboxes == ()

"""fetch() against files and against real HTTPS servers on 127.0.0.1.

Packets go to loopback only, and no name is ever looked up in DNS: URLs use the IP
literal, or a name answered by a static resolver.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.allowlist.feed_values import FeedError
from reconciler.allowlist.fetch import FetchOptions, fetch
from reconciler.desired.model import Feed
from reconciler.net.resolver import static_resolver
from tests.allowlist.feed_support import (
    CORPUS,
    SERVER_NAME,
    Pki,
    Server,
    corpus,
    elapsed,
    https_server,
    make_pki,
    sha256,
    silent_server,
)

BODY = corpus("cloudflare/ips-v4")
NO_DNS = static_resolver({})  # any name not pinned fails instead of reaching DNS


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("feed-pki"))


@pytest.fixture
def server(pki: Pki) -> Iterator[Server]:
    with https_server(pki) as running:
        running.serve("/ips-v4", BODY)
        yield running


def url_feed(url: str, pin: str | None = None) -> Feed:
    return Feed(format="text", source=url, is_url=True, sha256=pin or sha256(BODY))


def options(pki: Pki, **changes: object) -> FetchOptions:
    settings: dict[str, object] = {
        "timeout": 5.0,
        "allow_private": True,
        "ca_file": pki.ca_file,
        "resolver": NO_DNS,
    }
    settings.update(changes)
    return FetchOptions(**settings)  # type: ignore[arg-type]


def failure(feed: Feed, opts: FetchOptions) -> FeedError:
    with pytest.raises(FeedError) as caught:
        fetch(feed, opts)
    return caught.value


# --- files --------------------------------------------------------------------------


def test_file_with_and_without_pin() -> None:
    path = CORPUS / "aws" / "ip-ranges.json"
    data = path.read_bytes()
    feed = Feed(format="aws", source=str(path), sha256=sha256(data).upper())
    fetched = fetch(feed, FetchOptions())
    assert fetched.data == data and fetched.sha256 == sha256(data)
    unpinned = fetch(Feed(format="aws", source=str(path)), FetchOptions())
    assert unpinned.sha256 == sha256(data)


def test_file_pin_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "ranges.txt"
    path.write_bytes(b"192.0.2.0/24\n")
    pin = sha256(b"192.0.2.0/25\n")
    error = failure(Feed(format="text", source=str(path), sha256=pin), FetchOptions())
    assert error.message == (
        f"sha256 mismatch: the pin is {pin}, the feed read is {sha256(path.read_bytes())}"
    )
    assert "review the new feed" in error.hint and sha256(path.read_bytes()) in error.hint


def test_file_missing_folder_unreadable_and_too_big(tmp_path: Path) -> None:
    missing = failure(Feed(format="text", source=str(tmp_path / "nope")), FetchOptions())
    assert missing.message == "no such file" and "relative to the YAML file" in missing.hint
    folder = failure(Feed(format="text", source=str(tmp_path)), FetchOptions())
    assert folder.message == "cannot read the feed: a folder"
    big = tmp_path / "big.txt"
    big.write_bytes(b"192.0.2.0/24\n" * 100)
    too_big = failure(Feed(format="text", source=str(big)), FetchOptions(max_bytes=1000))
    assert too_big.message.startswith("the feed is larger than")
    if os.geteuid() != 0:  # root reads files whatever their mode
        secret = tmp_path / "secret.txt"
        secret.write_bytes(b"192.0.2.0/24\n")
        secret.chmod(0)
        denied = failure(Feed(format="text", source=str(secret)), FetchOptions())
        assert denied.message == "cannot read the feed: Permission denied"


def test_a_file_swapped_for_a_link_after_loading_is_not_followed(tmp_path: Path) -> None:
    """The loader judged the path with its links resolved; a link put there since (a
    race with the read) is refused, and a FIFO does not block the read."""
    (tmp_path / "target.txt").write_bytes(b"192.0.2.0/24\n")
    (tmp_path / "feed.txt").symlink_to(tmp_path / "target.txt")
    linked = failure(Feed(format="text", source=str(tmp_path / "feed.txt")), FetchOptions())
    assert linked.message == "cannot read the feed: it is now a symbolic link"
    os.mkfifo(tmp_path / "fifo")
    fifo = failure(Feed(format="text", source=str(tmp_path / "fifo")), FetchOptions())
    assert fifo.message == "cannot read the feed: not a regular file"


# --- URLs ---------------------------------------------------------------------------


def test_url_by_ip_literal(server: Server, pki: Pki) -> None:
    fetched = fetch(url_feed(server.url("/ips-v4")), options(pki))
    assert fetched.data == BODY
    assert server.requests == ["/ips-v4"]


def test_url_by_pinned_name_is_verified_for_that_name(server: Server, pki: Pki) -> None:
    name_url = server.url("/ips-v4", host=SERVER_NAME)
    by_resolver = options(pki, resolver=static_resolver({SERVER_NAME: ["127.0.0.1"]}))
    assert fetch(url_feed(name_url), by_resolver).data == BODY
    by_pin = options(pki, pinned={SERVER_NAME.upper() + ".": ["127.0.0.1"]})
    assert fetch(url_feed(name_url), by_pin).data == BODY
    # The certificate names 127.0.0.1 and SERVER_NAME, not this name: TLS must refuse.
    other = "other.test.example"
    wrong = options(pki, pinned={other: ["127.0.0.1"]})
    error = failure(url_feed(server.url("/ips-v4", host=other)), wrong)
    assert error.message.startswith("the server's certificate is not trusted")
    assert "Hostname mismatch" in error.message or "doesn't match" in error.message


def test_url_not_trusted_without_the_ca(server: Server, pki: Pki) -> None:
    error = failure(url_feed(server.url("/ips-v4")), options(pki, ca_file=None))
    assert error.message.startswith("the server's certificate is not trusted")
    assert server.requests == []


def test_unresolvable_name_is_not_looked_up(pki: Pki) -> None:
    error = failure(url_feed("https://feeds.invalid/ips-v4"), options(pki))
    assert error.message.startswith("feeds.invalid: host name does not resolve")


def test_url_pin_mismatch(server: Server, pki: Pki) -> None:
    pin = sha256(b"the reviewed feed")
    error = failure(url_feed(server.url("/ips-v4"), pin), options(pki))
    assert error.message == f"sha256 mismatch: the pin is {pin}, the feed read is {sha256(BODY)}"
    assert f"set sha256: {sha256(BODY)}" in error.hint


def test_url_without_pin_is_refused_before_connecting(server: Server, pki: Pki) -> None:
    feed = Feed(format="text", source=server.url("/ips-v4"), is_url=True)
    assert failure(feed, options(pki)).message == "a feed read from a URL needs a sha256 pin"
    assert server.connections == 0


def test_redirect_is_refused(server: Server, pki: Pki) -> None:
    server.serve("/old", b"moved", status=301, Location="https://example.net/ips-v4")
    error = failure(url_feed(server.url("/old")), options(pki))
    assert error.message == (
        "the server redirects (301 Moved Permanently) to https://example.net/ips-v4; "
        "redirects are not followed"
    )
    assert server.requests == ["/old"]


def test_not_found(server: Server, pki: Pki) -> None:
    error = failure(url_feed(server.url("/nope")), options(pki))
    assert error.message == "the server answered 404 Not Found"


def test_body_over_the_cap(server: Server, pki: Pki) -> None:
    error = failure(url_feed(server.url("/ips-v4")), options(pki, max_bytes=len(BODY) - 1))
    assert error.message.startswith("the feed is larger than")


def test_guard_refuses_loopback_before_connecting(server: Server, pki: Pki) -> None:
    error = failure(url_feed(server.url("/ips-v4")), options(pki, allow_private=False))
    assert error.message == (
        "refused to connect to 127.0.0.1: every address is non-public: 127.0.0.1 (loopback address)"
    )
    assert "--allow-private-targets" in error.hint
    assert server.connections == 0


def test_guard_judges_the_resolved_addresses(server: Server, pki: Pki) -> None:
    # A public-looking name that resolves to loopback and a private address.
    resolver = static_resolver({"feeds.example.com": ["127.0.0.1", "10.1.2.3"]})
    opts = options(pki, allow_private=False, resolver=resolver)
    error = failure(url_feed(server.url("/ips-v4", host="feeds.example.com")), opts)
    assert "127.0.0.1 (loopback address); 10.1.2.3 (private address (RFC 1918))" in error.message
    assert server.connections == 0


def test_timeout_when_the_server_never_answers(pki: Pki) -> None:
    with silent_server() as port, elapsed() as took:
        error = failure(url_feed(f"https://127.0.0.1:{port}/ips-v4"), options(pki, timeout=0.5))
    assert error.message == "timed out after 0.5 s"
    assert took() < 3


def test_timeout_bounds_the_whole_fetch(server: Server, pki: Pki) -> None:
    # Each byte arrives well within the timeout; the body as a whole does not.
    server.drip("/slow", length=100, every=0.1)
    with elapsed() as took:
        error = failure(url_feed(server.url("/slow")), options(pki, timeout=1.0))
    assert error.message == "timed out after 1 s"
    assert 0.9 < took() < 3


def test_connection_refused(pki: Pki) -> None:
    with silent_server() as port:
        pass  # closed again: nothing listens on the port now
    error = failure(url_feed(f"https://127.0.0.1:{port}/ips-v4"), options(pki))
    assert error.message == "could not connect to 127.0.0.1 (Connection refused)"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1/ips-v4", "a feed URL must start with https://"),
        ("https://user:pw@127.0.0.1/x", "a feed URL must not carry a user name or password"),
        ("https://127.0.0.1:99999/x", "the URL's port is not a number from 1 to 65535"),
    ],
)
def test_bad_urls(url: str, message: str, pki: Pki) -> None:
    assert failure(url_feed(url), options(pki)).message == message


def test_unusable_ca_file(server: Server, pki: Pki, tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate\n")
    error = failure(url_feed(server.url("/ips-v4")), options(pki, ca_file=not_pem))
    assert error.message.startswith(f"cannot use the CA file {not_pem}")
    assert server.connections == 0


def test_a_pinned_name_is_fetched_without_dns(server: Server, pki: Pki) -> None:
    fetch_options = FetchOptions(
        timeout=5.0, allow_private=True, ca_file=pki.ca_file, pinned={SERVER_NAME: ["127.0.0.1"]}
    )
    feed = url_feed(server.url("/ips-v4", host=SERVER_NAME))
    assert fetch(feed, fetch_options).data == BODY  # the pin answered: no DNS lookup

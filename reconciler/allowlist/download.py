"""One ``https://`` GET of a feed, connected the way the live checks connect.

A URL in a pull request decides where CI connects, so the host name is resolved once
(static pins first, as with ``--resolve``), every address is judged by the SSRF guard,
and the connection goes to a judged address, never to a name that the HTTP library
would resolve again (a second answer could differ: DNS rebinding). TLS is verified
against the system CAs, or only ``ca_file``, for the URL's host name. One deadline
bounds the whole fetch, and redirects are refused: the pin belongs to the reviewed URL.

The standard library's ``http.client`` does the HTTP: its ``HTTPSConnection.connect``
is the one place a connection is opened, so a subclass hands it a socket already
connected to the judged address and wraps it in TLS with the URL's host as SNI and
verified name. It follows no redirects by itself and needs no new dependency.
(urllib3 can do the same with ``server_hostname``, but is not a dependency of mailctl;
urllib.request and requests resolve the name themselves.)
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import __version__
from reconciler.allowlist.feed_values import FeedError
from reconciler.net.guard import IPAddress, judged
from reconciler.net.resolver import NameNotResolved, resolve
from reconciler.net.tls import verifying_context

if TYPE_CHECKING:
    from reconciler.allowlist.fetch import FetchOptions

_CHUNK = 256 * 1024
_PRIVATE_HINT = (
    "allow private targets (--allow-private-targets, or MAILCTL_ALLOW_PRIVATE_TARGETS=1) "
    "to read a feed from your own network"
)


def too_big(max_bytes: int) -> FeedError:
    size = f"{max_bytes // 2**20} MiB" if max_bytes % 2**20 == 0 else f"{max_bytes:,} bytes"
    return FeedError(
        f"the feed is larger than {size}",
        "published feeds are a few MiB at most: is this the right file?",
    )


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    path: str


def _target(url: str) -> _Target:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        raise FeedError("a feed URL must start with https://", "feeds are read over TLS only")
    if parts.username is not None or parts.password is not None:
        raise FeedError(
            "a feed URL must not carry a user name or password",
            "published feeds need no login; secrets never live in the domains file",
        )
    try:
        port = 443 if parts.port is None else parts.port
    except ValueError:
        raise FeedError("the URL's port is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise FeedError("the URL has no host name")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(parts.hostname, port, path)


class _Deadline:
    """The time left of one fetch. At the end it shuts the connection down, so that a
    blocked read returns at once, however slowly a server drips its bytes (a socket
    timeout alone bounds each read, not their sum)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._watched: socket.socket | None = None
        self._timer: threading.Timer | None = None
        self.expired = False

    def left(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise self.error()
        return left

    def error(self) -> FeedError:
        return FeedError(
            f"timed out after {self.seconds:g} s",
            "the feed's server did not answer in time; try again, or read a copy with path:",
        )

    def watch(self, sock: socket.socket) -> None:
        # A duplicate descriptor of the same connection: shutting it down ends reads
        # on the original too, whether or not TLS has wrapped it by then.
        self._watched = sock.dup()
        self._timer = threading.Timer(self.left(), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._watched is not None:
                with contextlib.suppress(OSError):  # already closed by the server
                    self._watched.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._watched is not None:
                self._watched.close()
                self._watched = None


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS over a TCP connection already open to an address the guard allowed; TLS
    verifies the URL's host name (SNI too), not the address."""

    def __init__(self, target: _Target, sock: socket.socket, context: ssl.SSLContext) -> None:
        # No timeout here: the socket has one already, and the deadline bounds the rest.
        super().__init__(target.host, target.port, context=context)
        self._tcp: socket.socket | None = sock
        self._tls = context

    def tcp(self) -> socket.socket:
        """The TCP connection, before TLS has taken it over."""
        if self._tcp is None:
            raise http.client.HTTPException("the connection to the feed's server was closed")
        return self._tcp

    def close(self) -> None:
        super().close()
        if self._tcp is not None:  # closed before the TLS handshake
            self._tcp.close()
            self._tcp = None

    def connect(self) -> None:
        sock, self._tcp = self.tcp(), None
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def download(url: str, options: FetchOptions) -> bytes:
    """The body of a 200 answer to GET ``url``, within ``options.timeout`` in all."""
    target = _target(url)
    deadline = _Deadline(options.timeout)
    try:
        context = _context(options.ca_file)
        addresses = _judge(target.host, _resolve(target, options, deadline), options)
        connection = _PinnedHTTPS(target, _connect(addresses, target.port, deadline), context)
        try:
            deadline.watch(connection.tcp())
            return _get(connection, target, options.max_bytes, deadline)
        finally:
            connection.close()
    except FeedError:
        if deadline.expired:
            raise deadline.error() from None
        raise
    except ssl.SSLCertVerificationError as error:
        raise FeedError(
            f"the server's certificate is not trusted: {error.verify_message}",
            "the feed's server must present a certificate for its host name that the "
            "system CAs (or --ca-file) trust",
        ) from None
    except (OSError, http.client.HTTPException) as error:
        if deadline.expired or isinstance(error, TimeoutError):
            raise deadline.error() from None
        raise FeedError(f"the fetch failed: {_describe(error)}") from None
    finally:
        deadline.close()


def _context(ca_file: Path | None) -> ssl.SSLContext:
    try:
        return verifying_context(ca_file)
    except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
        raise FeedError(
            f"cannot use the CA file {ca_file}: {_describe(error)}",
            "--ca-file takes a PEM file of CA certificates",
        ) from None


def _resolve(target: _Target, options: FetchOptions, deadline: _Deadline) -> list[IPAddress]:
    try:
        return asyncio.run(
            resolve(target.host, target.port, options.name_resolver(), deadline.left())
        )
    except NameNotResolved as error:
        raise FeedError(f"{target.host}: {error}") from None


def _judge(host: str, addresses: list[IPAddress], options: FetchOptions) -> list[IPAddress]:
    """The addresses the guard allows; refused ones are skipped, like the checks do."""
    if options.allow_private:
        return addresses
    allowed, listed = judged(addresses)
    if not allowed:
        raise FeedError(
            f"refused to connect to {host}: every address is non-public: {listed}",
            _PRIVATE_HINT,
        )
    return allowed


def _connect(addresses: list[IPAddress], port: int, deadline: _Deadline) -> socket.socket:
    problems: list[str] = []
    for address in addresses:
        try:
            return socket.create_connection((str(address), port), timeout=deadline.left())
        except TimeoutError:
            raise deadline.error() from None
        except OSError as error:
            problems.append(f"{address} ({_describe(error)})")
    raise FeedError(f"could not connect to {'; '.join(problems)}")


def _get(connection: _PinnedHTTPS, target: _Target, max_bytes: int, deadline: _Deadline) -> bytes:
    connection.connect()
    connection.request(
        "GET",
        target.path,
        headers={
            "User-Agent": f"mailctl/{__version__}",
            "Accept": "application/json, text/plain, */*",
            "Accept-Encoding": "identity",
        },
    )
    # Closed here, not only with the connection: an HTTP/1.0 or "Connection: close"
    # answer takes the socket over from the connection.
    with connection.getresponse() as response:
        return _body(response, max_bytes, deadline)


def _body(response: http.client.HTTPResponse, max_bytes: int, deadline: _Deadline) -> bytes:
    status = f"{response.status} {response.reason}".strip()
    if 300 <= response.status < 400:
        location = response.getheader("Location") or "(no Location)"
        raise FeedError(
            f"the server redirects ({status}) to {location}; redirects are not followed",
            "the pin belongs to the URL that was reviewed: if the publisher moved the "
            "feed, review it at its new URL and write that URL here",
        )
    if response.status != 200:
        raise FeedError(f"the server answered {status}", "check the URL in a browser")
    length = response.getheader("Content-Length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise too_big(max_bytes)
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise too_big(max_bytes)
        chunks.append(chunk)
        deadline.left()
    if deadline.expired:  # a body without a length ends, to a reader, like this
        raise deadline.error()
    return b"".join(chunks)


def _describe(error: BaseException) -> str:
    if isinstance(error, ssl.SSLError):
        return f"TLS: {error.reason or error}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__

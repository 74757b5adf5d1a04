"""Helpers for the feed tests: the corpus, expected ranges computed without mailctl, and
real HTTPS servers on loopback (trustme certificates).

The expected ranges are read here with plain ``json`` and line splitting, so a test
compares mailctl's reader with an independent reading of the same published file.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme

from tests.conftest import CORPUS as SHARED_CORPUS

CORPUS = SHARED_CORPUS / "ipranges"
SERVER_NAME = "feeds.test.example"


def corpus(relative: str) -> bytes:
    return (CORPUS / relative).read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.cache
def _parsed(relative: str) -> Any:
    """A corpus file's JSON, read once per test session (callers do not change it)."""
    return json.loads(corpus(relative))


def normalised(values: Iterable[str]) -> tuple[str, ...]:
    """In order, duplicates dropped, spelled as ``ipaddress`` spells networks."""
    return tuple(dict.fromkeys(str(ipaddress.ip_network(v)) for v in values))


@functools.cache
def aws_expected(
    relative: str, services: tuple[str, ...] = (), regions: tuple[str, ...] = ()
) -> tuple[str, ...]:
    document = _parsed(relative)
    wanted_services, wanted_regions = set(services), set(regions)

    def kept(entry: dict[str, str]) -> bool:
        return (not wanted_services or entry["service"] in wanted_services) and (
            not wanted_regions or entry["region"] in wanted_regions
        )

    v4 = [e["ip_prefix"] for e in document["prefixes"] if kept(e)]
    v6 = [e["ipv6_prefix"] for e in document["ipv6_prefixes"] if kept(e)]
    return normalised(v4 + v6)


def google_expected(relative: str, scopes: Iterable[str] = ()) -> tuple[str, ...]:
    wanted = set(scopes)
    return normalised(
        entry.get("ipv4Prefix") or entry["ipv6Prefix"]
        for entry in _parsed(relative)["prefixes"]
        if not wanted or entry.get("scope") in wanted
    )


def github_expected(relative: str, keys: Iterable[str]) -> tuple[str, ...]:
    document = _parsed(relative)
    return normalised(value for key in keys for value in document[key])


def atlassian_expected(
    directions: Iterable[str] = ("egress",), products: Iterable[str] = ()
) -> tuple[str, ...]:
    wanted_directions, wanted_products = set(directions), set(products)
    return normalised(
        item["cidr"]
        for item in _parsed("atlassian/ip-ranges.json")["items"]
        if wanted_directions & set(item["direction"])
        and (not wanted_products or wanted_products & set(item["product"]))
    )


def text_expected(relative: str) -> tuple[str, ...]:
    lines = corpus(relative).decode().splitlines()
    return normalised(line.strip() for line in lines if line.strip())


# --- servers ------------------------------------------------------------------------


@dataclass
class Pki:
    ca_file: Path
    server_context: ssl.SSLContext


def make_pki(directory: Path) -> Pki:
    """A throwaway CA and a server certificate for 127.0.0.1 and SERVER_NAME."""
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", SERVER_NAME)
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return Pki(ca_file, context)


Route = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Server:
    """A real HTTPS server on 127.0.0.1; ``routes`` maps request paths to handlers."""

    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    connections: int = 0
    requests: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}{path}"

    def serve(self, path: str, body: bytes, status: int = 200, **headers: str) -> None:
        def answer(handler: http.server.BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                handler.send_header(name.replace("_", "-"), value)
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = answer

    def drip(self, path: str, length: int, every: float) -> None:
        """Headers at once, then one body byte every ``every`` seconds."""

        def answer(handler: http.server.BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Length", str(length))
            handler.end_headers()
            handler.wfile.flush()
            for _ in range(length):
                if self.stop.wait(every):
                    return
                handler.wfile.write(b"#")
                handler.wfile.flush()

        self.routes[path] = answer


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _HTTPSServer

    def do_GET(self) -> None:
        state = self.server.state
        state.requests.append(self.path)
        route = state.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        route(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on what the client saw."""


class _HTTPSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext, state: Server | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context = context
        self.state = state or Server(self.server_address[1])

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = self.socket.accept()
        self.state.connections += 1
        return connection, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        # TLS in the request's thread, and every failure swallowed: the client under
        # test decides what is an error (a client refusing our certificate is a pass).
        try:
            with self.context.wrap_socket(request, server_side=True) as tls:
                super().finish_request(tls, client_address)
        except (OSError, ssl.SSLError):
            pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@contextmanager
def https_server(pki: Pki) -> Iterator[Server]:
    server = _HTTPSServer(pki.server_context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.state
    finally:
        server.state.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def silent_server() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts TCP connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel completes the handshakes; nobody reads
        yield int(listener.getsockname()[1])


@contextmanager
def elapsed() -> Iterator[Callable[[], float]]:
    start = time.monotonic()
    yield lambda: time.monotonic() - start

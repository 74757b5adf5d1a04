"""Run the settings service (``mailctl serve``): check its options and the store, then
hand the application to uvicorn.

The store must hold an apply before the server starts (:class:`NoStore` otherwise: a
mistyped ``--state`` is an error, not an empty service). The server reads it
read-only; several processes or hosts may serve one PostgreSQL store. SIGTERM or
SIGINT stop it gracefully: no new connections, requests in flight finish (up to
:data:`GRACE_SECONDS`), exit status 0.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from reconciler.app.store import refuse_if_empty
from reconciler.errors import InputError, Location, MailctlError
from reconciler.plan.status import EXIT_OK
from reconciler.serve import app as web
from reconciler.serve import apple, bearer, protocol
from reconciler.serve.defaults import DEFAULT_BIND, DEFAULT_INTERVAL
from reconciler.serve.limits import DEFAULT_MAX_BODY

GRACE_SECONDS = 10
KEEP_ALIVE_SECONDS = 5
MAX_HEADER_BYTES = protocol.MAX_HEAD_BYTES  # the whole request head: line and headers
MAX_CONNECTIONS = 1000  # per worker; more get 503 instead of queueing without bound


class BadBind(MailctlError):
    pass


@dataclass(frozen=True)
class ServeOptions:
    """Serve the store at ``state_url`` on ``bind`` (``HOST:PORT``, ``[v6]:PORT``) with
    ``workers`` processes, each polling the store every ``poll_interval`` seconds."""

    state_url: str | None = None
    bind: str = DEFAULT_BIND
    workers: int = 1
    poll_interval: float = DEFAULT_INTERVAL
    max_body: int = DEFAULT_MAX_BODY
    sign_cert: Path | None = None  # with sign_key: Apple profiles go out signed
    sign_key: Path | None = None
    sign_chain: Path | None = None
    token_file: Path | None = None  # else $MAILCTL_SERVE_TOKEN; neither: no inbox routes


@dataclass(frozen=True)
class Served:
    url: str
    status: int = EXIT_OK


def parse_bind(bind: str) -> tuple[str, int]:
    """``(host, port)`` of ``HOST:PORT`` or ``[IPv6]:PORT``; BadBind says how to write it."""
    host, sep, port = bind.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise BadBind(
            f"--bind {bind!r} is not HOST:PORT; write e.g. 127.0.0.1:8080, [::1]:8080 "
            "or 0.0.0.0:8080 (port 1-65535)"
        )
    return host, int(port)


def check_store(state_url: str | None) -> str:
    """The resolved URL of the store, after reading its head once, read-only (StoreError
    if unreachable, NoStore if nothing was applied there)."""
    from reconciler.store.open import open_store, resolve_url

    url = resolve_url(state_url, os.environ, Path.cwd())
    store = open_store(url, read_only=True)
    try:
        refuse_if_empty(store, store.head())
    finally:
        store.close()
    return url


def serve(options: ServeOptions) -> Served:
    """Run the server until it is told to stop; returns when it has stopped."""
    import uvicorn

    host, port = parse_bind(options.bind)
    if options.workers < 1 or options.poll_interval <= 0:
        raise MailctlError("--workers must be at least 1 and --poll-interval above 0")
    url = check_store(options.state_url)
    wiring = check_wiring(options, os.environ)
    # Each worker process builds the application from these (uvicorn's factory).
    for name in (apple.ENV_SIGN_CERT, apple.ENV_SIGN_KEY, apple.ENV_SIGN_CHAIN):
        os.environ.pop(name, None)  # only what was checked above reaches the workers
    os.environ.update(wiring)
    os.environ[web.ENV_STATE] = url
    os.environ[web.ENV_POLL_INTERVAL] = repr(options.poll_interval)
    os.environ[web.ENV_MAX_BODY] = str(options.max_body)
    with _stopped_quietly():
        _run(uvicorn, host, port, options.workers)
    return Served(url=f"http://{options.bind}/")


def check_wiring(options: ServeOptions, env: Mapping[str, str]) -> dict[str, str]:
    """The signing files and the token, read and checked once before the server starts
    (InputError naming the file at fault; the key and the token never appear in a
    message); returns the variables that name them to the worker processes, which
    read them again, once each, when they build the application."""
    if (options.sign_cert is None) != (options.sign_key is None) or (
        options.sign_chain is not None and options.sign_cert is None
    ):
        raise InputError.single(
            Location("--sign-cert/--sign-key"),
            "profiles are signed with a certificate and its key, given together",
            "give both --sign-cert FILE and --sign-key FILE (and --sign-chain FILE if "
            "the certificate needs intermediates), or none of them",
        )
    wiring: dict[str, str] = {}
    if options.sign_cert is not None and options.sign_key is not None:
        wiring[apple.ENV_SIGN_CERT] = str(options.sign_cert.resolve())
        wiring[apple.ENV_SIGN_KEY] = str(options.sign_key.resolve())
        if options.sign_chain is not None:
            wiring[apple.ENV_SIGN_CHAIN] = str(options.sign_chain.resolve())
        apple.signer_from(wiring)
    if options.token_file is not None:
        wiring[bearer.ENV_TOKEN_FILE] = str(options.token_file.resolve())
    bearer.load_token({**env, **wiring})
    return wiring


@contextmanager
def _stopped_quietly() -> Iterator[None]:
    """uvicorn, once stopped gracefully, raises the signal that stopped it again with
    the handler found at start: with these, that ends in exit status 0, as asked for."""
    stop = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, _stopped) for sig in stop}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stopped(signum: int, frame: FrameType | None) -> None:
    pass  # the server has already shut down when this runs


def _run(uvicorn: ModuleType, host: str, port: int, workers: int) -> None:
    uvicorn.run(
        "reconciler.serve.app:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **uvicorn_options(),
    )


def uvicorn_options() -> dict[str, Any]:
    """What every worker runs with besides the application and the address: the HTTP
    protocol and event loop of ``reconciler.serve.protocol`` (``TCP_NODELAY`` on, the C
    parser and uvloop when installed), the limits and no logging of uvicorn's own."""
    return {
        "http": protocol.http_protocol(),
        "loop": protocol.event_loop(),
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "limit_concurrency": MAX_CONNECTIONS,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "timeout_graceful_shutdown": GRACE_SECONDS,
        "access_log": False,  # ours (reconciler.serve.observe) never logs a query string
        "server_header": False,
        "proxy_headers": False,
        "log_level": "warning",
    }

"""The settings API, versioned under ``/v1``: JSON, and the connection IP ranges also as
``text/plain`` (one CIDR a line) for pasting into a firewall.

A domain in a path or an address is normalised as in a domains file (case, trailing
dot, Unicode to IDNA A-labels), so ``Example.COM`` and ``example.com`` answer alike.
Nothing a client sent is repeated in an error.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.desired import names
from reconciler.desired.inbox import AddressProblem, parse_address
from reconciler.serve.poller import SnapshotSource
from reconciler.serve.respond import JSON, TEXT, cached, problem
from reconciler.serve.snapshot import Rendered, Snapshot

UNKNOWN_DOMAIN = "no settings for this domain"
NOT_A_DOMAIN = "not a domain name"
NOT_AN_ADDRESS = "the email parameter must be an address, local@domain"


def wants_text(request: Request, suffixed: bool) -> bool:
    """Plain text when asked by the path (``.txt``), ``?format=text``, or an ``Accept``
    that names ``text/plain`` and not JSON."""
    if suffixed or request.query_params.get("format") == "text":
        return True
    accept = request.headers.get("accept", "")
    return "text/plain" in accept and "application/json" not in accept


def domain_name(raw: str) -> str | None:
    try:
        return names.normalise_domain(raw)
    except names.NameProblem:
        return None


def _rendered(request: Request, current: Snapshot) -> Rendered | Response:
    """The answers of the domain named in the path, or the error to send instead."""
    name = domain_name(request.path_params["domain"])
    if name is None:
        return problem(400, NOT_A_DOMAIN)
    rendered = current.rendered.get(name)
    if rendered is None:
        return problem(404, UNKNOWN_DOMAIN)
    return rendered


def routes(source: SnapshotSource) -> list[BaseRoute]:
    """The ``/v1`` routes, answering from ``source``."""

    async def domain_list(request: Request) -> Response:
        current = source.current
        return cached(request, current, current.list_json, JSON, "json")

    async def domain_settings(request: Request) -> Response:
        current = source.current
        rendered = _rendered(request, current)
        if isinstance(rendered, Response):
            return rendered
        return cached(request, current, rendered.settings_json, JSON, "json")

    async def address_settings(request: Request) -> Response:
        current = source.current
        try:
            address = parse_address(request.query_params.get("email", ""))
        except AddressProblem:
            return problem(400, NOT_AN_ADDRESS)
        if address.domain not in current.domains:
            return problem(404, UNKNOWN_DOMAIN)
        body = current.address_settings(str(address), address.domain)
        return cached(request, current, body, JSON, "json")

    def ips(suffixed: bool) -> Route:
        async def connection_ips(request: Request) -> Response:
            current = source.current
            vary = None if suffixed else "Accept"
            if wants_text(request, suffixed):
                return cached(request, current, current.ips_text, TEXT, "text", vary)
            return cached(request, current, current.ips_json, JSON, "json", vary)

        path = "/v1/connection-ips" + (".txt" if suffixed else "")
        return Route(path, connection_ips, methods=["GET"])

    def domain_ips(suffixed: bool) -> Route:
        async def connection_ips(request: Request) -> Response:
            current = source.current
            rendered = _rendered(request, current)
            if isinstance(rendered, Response):
                return rendered
            vary = None if suffixed else "Accept"
            if wants_text(request, suffixed):
                return cached(request, current, rendered.ips_text, TEXT, "text", vary)
            return cached(request, current, rendered.ips_json, JSON, "json", vary)

        path = "/v1/domains/{domain}/connection-ips" + (".txt" if suffixed else "")
        return Route(path, connection_ips, methods=["GET"])

    return [
        Route("/v1/domains", domain_list, methods=["GET"]),
        Route("/v1/domains/{domain}", domain_settings, methods=["GET"]),
        domain_ips(False),
        domain_ips(True),
        ips(False),
        ips(True),
        Route("/v1/settings", address_settings, methods=["GET"]),
    ]

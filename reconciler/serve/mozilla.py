"""Thunderbird autoconfig (``config-v1.1.xml``), as the domain's autoconfig host serves it.

Thunderbird asks ``https://autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=<addr>``
and then ``https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml``. The domain is
the address's when one is given, else the ``Host`` (``autoconfig.<domain>`` or the
domain itself). The answer is the exact bytes ``mailctl autoconfig export`` writes for
the domain: the login name is ``%EMAILADDRESS%``, so every address of a domain, known
to the service or not, gets the same answer (nobody learns which addresses exist).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.desired.inbox import AddressProblem, parse_address
from reconciler.serve.api import NOT_AN_ADDRESS, UNKNOWN_DOMAIN, domain_name
from reconciler.serve.poller import SnapshotSource
from reconciler.serve.respond import XML, cached, problem

PATHS = ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml")
HOST_PREFIX = "autoconfig."


def host_domain(host: str) -> str | None:
    """The domain a ``Host`` header names: without port and ``autoconfig.`` prefix."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().removeprefix(HOST_PREFIX)
    return domain_name(name) if name else None


def routes(source: SnapshotSource) -> list[BaseRoute]:
    async def config(request: Request) -> Response:
        current = source.current
        raw = request.query_params.get("emailaddress")
        if raw is not None:
            try:
                domain: str | None = parse_address(raw).domain
            except AddressProblem:
                return problem(400, NOT_AN_ADDRESS.replace("email", "emailaddress"))
        else:
            domain = host_domain(request.headers.get("host", ""))
        rendered = current.rendered.get(domain) if domain else None
        if rendered is None:
            return problem(404, UNKNOWN_DOMAIN)
        return cached(request, current, rendered.autoconfig_xml, XML, "xml")

    return [Route(path, config, methods=["GET"]) for path in PATHS]

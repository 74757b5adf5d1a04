"""Apple configuration profiles: ``GET /mobileconfig?emailaddress=ADDRESS``.

The profile (``application/x-apple-aspen-config``, one ``com.apple.mail.managed``
payload) comes from ``reconciler.app.autoconfig.profile_answer`` on the snapshot taken
at the start of the request, as a download named ``<domain>.mobileconfig``. Any local
part of a served domain gets one (nothing tells which addresses exist); a domain not
served is 404. It is signed when the server was started with a certificate and key
(``mailctl serve --sign-cert --sign-key [--sign-chain]``): the files are read and
checked once, when the router is built, never per request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.app.autoconfig import profile_answer
from reconciler.autoconfig.mobileconfig import Signer
from reconciler.autoconfig.signing_files import load_signer
from reconciler.desired.inbox import AddressProblem, parse_address
from reconciler.serve.api import UNKNOWN_DOMAIN
from reconciler.serve.poller import SnapshotSource
from reconciler.serve.respond import NO_STORE, problem

PATH = "/mobileconfig"
NOT_AN_ADDRESS = "the emailaddress parameter must be an address, local@domain"

# How `mailctl serve` names the signing files to each worker process.
ENV_SIGN_CERT = "MAILCTL_SERVE_SIGN_CERT"
ENV_SIGN_KEY = "MAILCTL_SERVE_SIGN_KEY"
ENV_SIGN_CHAIN = "MAILCTL_SERVE_SIGN_CHAIN"


def router(signer: Signer | None) -> Callable[[SnapshotSource], list[BaseRoute]]:
    """The profile route, signing with ``signer`` (None: profiles go out unsigned)."""

    def routes(source: SnapshotSource) -> list[BaseRoute]:
        async def profile(request: Request) -> Response:
            current = source.current
            raw = request.query_params.get("emailaddress", "")
            try:
                domain = parse_address(raw).domain
            except AddressProblem:
                return problem(400, NOT_AN_ADDRESS)
            if domain not in current.domains:
                return problem(404, UNKNOWN_DOMAIN)
            answer = profile_answer(current.domains, raw, signer=signer)
            headers = {
                # A-labels only: the name is plain ASCII, safe in a header.
                "Content-Disposition": f'attachment; filename="{domain}.mobileconfig"',
                "Cache-Control": NO_STORE,  # it names the address asked about
            }
            return Response(answer.body, answer.status, headers, answer.media_type)

        return [Route(PATH, profile, methods=["GET"])]

    return routes


def signer_from(env: Mapping[str, str]) -> Signer | None:
    """The signer of the files ``env`` names (InputError naming a bad file), or None."""
    cert, key = env.get(ENV_SIGN_CERT), env.get(ENV_SIGN_KEY)
    if not cert or not key:
        return None
    chain = env.get(ENV_SIGN_CHAIN)
    return load_signer(Path(cert), Path(key), Path(chain) if chain else None)


def from_environment(source: SnapshotSource) -> list[BaseRoute]:
    """The profile route as ``mailctl serve`` configured it (see ``reconciler.serve.run``)."""
    return router(signer_from(os.environ))(source)

"""Operations: ``/healthz`` (200 while the last poll of the store succeeded, else 503;
with the serial served), ``/metrics`` (Prometheus text) and ``/openapi.json``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler import __version__
from reconciler.serve import openapi
from reconciler.serve.metrics import CONTENT_TYPE, Metrics
from reconciler.serve.models import Health
from reconciler.serve.poller import SnapshotSource
from reconciler.serve.respond import CACHE_PUBLIC, JSON, NO_STORE, matches


def routes(source: SnapshotSource, metrics: Metrics) -> list[BaseRoute]:
    spec = openapi.rendered()
    spec_etag = f'"openapi-{__version__}"'

    async def healthz(request: Request) -> Response:
        current = source.current
        up = source.last_poll.ok
        body = Health(
            status="ok" if up else "unavailable",
            store_reachable=up,
            serial=current.serial,
            lineage=current.lineage,
            applied_at=current.applied_at,
        )
        headers = {"Cache-Control": NO_STORE, "ETag": current.etag("health")}
        return Response(
            body.model_dump_json().encode(),
            status_code=200 if up else 503,
            media_type=JSON,
            headers=headers,
        )

    async def metrics_text(request: Request) -> Response:
        body = metrics.render(source.current, source.last_poll.ok)
        return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": NO_STORE})

    async def openapi_json(request: Request) -> Response:
        headers = {"ETag": spec_etag, "Cache-Control": CACHE_PUBLIC}
        if matches(request, spec_etag):
            return Response(status_code=304, headers=headers)
        return Response(spec, media_type=JSON, headers=headers)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_text, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
    ]

"""The OpenAPI 3.1 document of the JSON API, its schemas generated from the pydantic
models (``models.py``): one source of truth for what is sent and what is described."""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from reconciler import __version__
from reconciler.serve.models import MODELS

_REF = "#/components/schemas/{model}"


def _answer(model: str, description: str, text: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}
    if text:
        content["text/plain"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def _get(summary: str, ok: dict[str, Any], *errors: int, **params: str) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": ok,
        "304": {"description": "Not modified: If-None-Match names the current ETag."},
    }
    for status in errors:
        responses[str(status)] = _answer("Problem", {400: "Bad request", 404: "Not found"}[status])
    parameters = [
        {"name": name, "in": where, "required": True, "schema": {"type": "string"}}
        for name, where in params.items()
    ]
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    return {"get": operation}


def document() -> dict[str, Any]:
    _, schemas = models_json_schema([(m, "serialization") for m in MODELS], ref_template=_REF)
    ips = _answer("ConnectionIps", "The ranges (text/plain: one CIDR a line)", text=True)
    return {
        "openapi": "3.1.0",
        "info": {"title": "mailctl settings service", "version": __version__},
        "paths": {
            "/v1/domains": _get("Every domain", _answer("DomainList", "The domains")),
            "/v1/domains/{domain}": _get(
                "One domain's settings",
                _answer("DomainSettings", "The settings"),
                400,
                404,
                domain="path",
            ),
            "/v1/domains/{domain}/connection-ips": _get(
                "The ranges one domain must let in", ips, 400, 404, domain="path"
            ),
            "/v1/connection-ips": _get("The ranges the service connects from", ips),
            "/v1/settings": _get(
                "The settings an address connects with (pre-population)",
                _answer("AddressSettings", "The settings, login name filled in"),
                400,
                404,
                email="query",
            ),
            "/healthz": {
                "get": {
                    "summary": "Whether the last poll of the store succeeded",
                    "responses": {
                        "200": _answer("Health", "Store reachable"),
                        "503": _answer("Health", "Store unreachable"),
                    },
                }
            },
        },
        "components": {"schemas": schemas.get("$defs", {})},
    }


def rendered() -> bytes:
    return json.dumps(document(), sort_keys=True, separators=(",", ":")).encode()

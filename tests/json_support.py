"""Helpers of the JSON output tests: a closed loopback port, the published schemas."""

from __future__ import annotations

import json
import socket

import jsonschema

from tests.conftest import ROOT


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def schema(name: str) -> jsonschema.Draft202012Validator:
    """A validator of the committed ``schemas/NAME.schema.json``."""
    return jsonschema.Draft202012Validator(
        json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    )

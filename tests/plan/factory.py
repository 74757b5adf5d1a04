"""Small builders of domains and states for plan tests."""

from __future__ import annotations

from typing import Any

from reconciler.desired.model import Credentials, Desired, Domain, Endpoint
from reconciler.desired.state import StoredState


def domain(name: str, **overrides: Any) -> Domain:
    fields: dict[str, Any] = {
        "name": name,
        "imap": Endpoint(host=f"imap.{name}", port=993, security="ssl"),
        "smtp": Endpoint(host=f"smtp.{name}", port=587, security="starttls"),
    }
    for key, value in overrides.items():
        if key in ("imap", "smtp") and isinstance(value, dict):
            fields[key] = fields[key].model_copy(update=value)
        elif key == "credentials" and isinstance(value, tuple):
            fields[key] = Credentials(username_env=value[0], password_env=value[1])
        else:
            fields[key] = value
    return Domain(**fields)


def desired(*domains: Domain, ranges: tuple[str, ...] = ()) -> Desired:
    return Desired(connection_ranges=ranges, domains={d.name: d for d in domains})


def stored(
    *domains: Domain, ranges: tuple[str, ...] = (), lineage: str = "L1", serial: int = 3
) -> StoredState:
    return StoredState(
        lineage=lineage,
        serial=serial,
        connection_ranges=ranges,
        domains={d.name: d for d in domains},
    )

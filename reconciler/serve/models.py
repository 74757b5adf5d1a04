"""The documents of the settings API, as pydantic models: the single source of their
JSON (built once per snapshot) and of the schemas in ``/openapi.json``.

Public on purpose: what a mail client asks the domain's own autoconfig host for anyway.
Never here: the names of credential variables (the service's own business).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Server(_Doc):
    """One mail server of a domain."""

    host: str
    port: int = Field(ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"]
    username: str | None = Field(
        default=None, description="The login name (the address); only in /v1/settings."
    )


class DomainSettings(_Doc):
    """The settings of one domain, as applied at ``serial``."""

    name: str = Field(description="The domain, IDNA A-labels.")
    display_name: str = Field(description="The domain as people read it (Unicode).")
    imap: Server
    smtp: Server
    allow_non_secure_certificate: bool
    certificate_sha256: str | None
    use_static_ip_addresses: bool
    serial: int
    applied_at: str | None


class DomainList(_Doc):
    """Every domain in the store, sorted."""

    serial: int
    applied_at: str | None
    domains: list[str]


class AddressSettings(_Doc):
    """What a person connecting ``email`` is pre-filled with: the domain's servers,
    the login name being the address."""

    email: str
    domain: str
    imap: Server
    smtp: Server
    allow_non_secure_certificate: bool
    serial: int


class ConnectionIps(_Doc):
    """The IP ranges the service connects from, to let through a firewall. For one
    domain: the same ranges when it uses static IP addresses, none otherwise."""

    serial: int
    domain: str | None = None
    use_static_ip_addresses: bool | None = None
    ranges: list[str]


class Health(_Doc):
    """``ok``: the last poll of the store succeeded."""

    status: Literal["ok", "unavailable"]
    store_reachable: bool
    serial: int
    lineage: str | None
    applied_at: str | None


class Problem(_Doc):
    """Why there is no answer; never repeats what the request sent."""

    error: str


MODELS: tuple[type[BaseModel], ...] = (
    Server,
    DomainSettings,
    DomainList,
    AddressSettings,
    ConnectionIps,
    Health,
    Problem,
)

"""What one ``domains.yaml`` may contain: ``DomainsFile`` and the ``*Spec`` models.

They are the single source of ``schemas/domains.schema.json``; unknown keys are errors
and types are strict, so the schema and mailctl agree on what a file means. The loader
turns them into the resolved models of :mod:`reconciler.desired.model`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from reconciler.desired.fields import (
    DOMAIN_PATTERN,
    Cidr,
    FilterValues,
    Fingerprint,
    HostName,
    HttpsUrl,
    Port,
    Sha256,
    StrictModel,
    whole_number,
)
from reconciler.desired.model import Credentials, FeedFormat, Security


class EndpointDefaults(StrictModel):
    """Port and security that every domain's endpoint inherits unless it sets its own."""

    port: Port | None = Field(default=None, description="TCP port, 1-65535.")
    security: Security | None = Field(
        default=None,
        description="ssl = implicit TLS; starttls = upgrade a plaintext connection; "
        "none = no encryption (not recommended).",
    )


class EndpointSpec(EndpointDefaults):
    """One server (IMAP or SMTP) of a domain."""

    host: HostName = Field(description="Host name or IP literal of the mail server.")


class DomainSpec(StrictModel):
    """The connection settings of one email domain, inherited by all of its inboxes."""

    imap: EndpointSpec = Field(
        description="The IMAP server: host, and port/security unless the defaults fit."
    )
    smtp: EndpointSpec = Field(
        description="The SMTP submission server: host, and port/security unless the defaults fit."
    )
    allow_non_secure_certificate: bool = Field(
        default=False,
        description="Accept a certificate that no Certificate Authority signed (self-signed).",
    )
    certificate_sha256: Fingerprint | None = Field(
        default=None, description="Pin: SHA-256 fingerprint the servers' certificate must have."
    )
    use_static_ip_addresses: bool = Field(
        default=False,
        description="Connect only from the connection IPs; their allowlist files are written.",
    )
    credentials: Credentials | None = None


# Which filter keys each feed format understands. The loader refuses the others, so a
# filter that would silently match nothing (``regions`` on a GitHub feed) is an error.
FEED_FILTERS: dict[str, tuple[str, ...]] = {
    "aws": ("services", "regions"),
    "google": ("services", "scopes"),
    "github": ("keys",),
    "atlassian": ("products", "regions", "directions"),
    "text": (),
}


class FeedSpec(StrictModel):
    """A published list of the service's egress ranges, read in its publisher's format.

    Exactly one of ``path`` and ``url``. A URL feed must carry its ``sha256`` so that a
    feed changed by its publisher (or by anyone between) changes no firewall until a
    person has reviewed the new pin.
    """

    format: FeedFormat = Field(
        description="aws (ip-ranges.json), google (goog.json / cloud.json), github "
        "(api.github.com/meta), atlassian (ip-ranges.json), text (one CIDR a line, # comments)."
    )
    path: str | None = Field(
        default=None, description="The feed as a file, relative to this YAML file."
    )
    url: HttpsUrl | None = Field(default=None, description="The feed's https:// URL; needs sha256.")
    sha256: Sha256 | None = Field(
        default=None,
        description="SHA-256 of the feed's bytes, 64 hex digits; required with "
        "url, checked when given with path.",
    )
    services: FilterValues | None = Field(
        default=None, description="aws, google: keep prefixes of these services only."
    )
    regions: FilterValues | None = Field(
        default=None, description="aws, atlassian: keep prefixes of these regions only."
    )
    scopes: FilterValues | None = Field(
        default=None, description="google: keep prefixes of these scopes only."
    )
    keys: FilterValues | None = Field(
        default=None, description="github (required): the meta keys to read, e.g. [hooks]."
    )
    products: FilterValues | None = Field(
        default=None, description="atlassian: keep prefixes of these products only."
    )
    directions: list[Literal["egress", "ingress"]] | None = Field(
        default=None,
        min_length=1,
        description="atlassian: keep prefixes of these directions (default: egress).",
    )

    def filters(self) -> dict[str, tuple[str, ...]]:
        """The filters that are set, by key."""
        return {
            key: tuple(values)
            for key in ("services", "regions", "scopes", "keys", "products", "directions")
            if (values := getattr(self, key)) is not None
        }


class ConnectionIPs(StrictModel):
    """The service's static egress ranges that domains with static IPs allowlist."""

    ranges: list[Cidr] = Field(default_factory=list, description="IPv4 and IPv6 CIDR ranges.")
    feeds: list[FeedSpec] = Field(
        default_factory=list,
        description="Published feeds whose ranges are added to ranges (read at plan time).",
    )


class Defaults(StrictModel):
    imap: EndpointDefaults | None = None
    smtp: EndpointDefaults | None = None


class DomainsFile(StrictModel):
    """One domains.yaml file. A folder of such files is merged into one desired state."""

    model_config = ConfigDict(title="mailctl domains file")

    version: Annotated[Literal[1], BeforeValidator(whole_number)] = Field(
        description="Format version of this file."
    )
    connection_ips: ConnectionIPs | None = None
    defaults: Defaults | None = None
    domains: dict[
        Annotated[str, Field(json_schema_extra={"pattern": DOMAIN_PATTERN})], DomainSpec
    ] = Field(
        default_factory=dict,
        description="Email domains keyed by domain name.",
        # A key that fails the name pattern must be an error, not an unchecked extra.
        json_schema_extra={"additionalProperties": False},
    )


def domains_file_schema() -> dict[str, Any]:
    schema = DomainsFile.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://mailctl.dev/schemas/domains.schema.json",
        **schema,
    }

"""The desired state, as frozen pydantic models.

Two layers:

* the *file* models (``DomainsFile`` and the ``*Spec`` classes) describe what one
  ``domains.yaml`` may contain. They are the single source of
  ``schemas/domains.schema.json``; unknown keys are errors and types are strict, so
  the schema and mailctl agree on what a file means.
* the *resolved* models (``Desired``, ``Domain``, ``Endpoint``) are what the rest of
  mailctl works with: defaults merged in, every field present, names normalised.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from reconciler.desired import fingerprints, names, ranges

FORMAT_VERSION = 1

Security = Literal["ssl", "starttls", "none"]
Protocol = Literal["imap", "smtp"]

# Patterns for editors and other JSON Schema validators. mailctl itself checks names
# with reconciler.desired.names, which also does what a pattern cannot (IDNA, U-label lengths).
_LABEL = r"[A-Za-z0-9\u0080-\uffff](?:[A-Za-z0-9\u0080-\uffff-]{0,61}[A-Za-z0-9\u0080-\uffff])?"
DOMAIN_PATTERN = rf"^(?=.{{1,254}}$)(?!.*\.[0-9]+\.?$){_LABEL}(?:\.{_LABEL})+\.?$"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
_IPV6 = r"\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?"
HOST_PATTERN = rf"^(?:{_IPV4}|{_IPV6})$|{DOMAIN_PATTERN}"
_V4_PREFIX = r"(?:/(?:3[0-2]|[12]?[0-9]))?"
_V6_PREFIX = r"(?:/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?"
CIDR_PATTERN = rf"^(?:{_IPV4}{_V4_PREFIX}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*{_V6_PREFIX})$"
FINGERPRINT_PATTERN = r"^(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){31}|[0-9A-Fa-f]{64})$"
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _custom(kind: str, problem: names.NameProblem) -> PydanticCustomError:
    return PydanticCustomError(kind, problem.message, {"hint": problem.hint})


def _host(value: str) -> str:
    try:
        return names.normalise_host(value)
    except names.NameProblem as problem:
        raise _custom("host", problem) from None


def _env(value: str) -> str:
    try:
        return names.check_env_name(value)
    except names.NameProblem as problem:
        raise _custom("env_name", problem) from None


def _fingerprint(value: str) -> str:
    if not fingerprints.is_sha256(value):
        raise PydanticCustomError(
            "fingerprint",
            "certificate_sha256 must be a SHA-256 fingerprint: 64 hex digits, "
            "optionally in colon-separated pairs",
            {"hint": "mailctl check prints the fingerprint a server presents"},
        )
    return fingerprints.normalise(value)


def _cidr(value: str) -> str:
    try:
        return str(ranges.parse_range(value))
    except ranges.RangeError as problem:
        raise PydanticCustomError(problem.kind, problem.message, {"hint": problem.hint}) from None


def _whole_number(value: Any) -> Any:
    """Refuse what only compares equal to an integer (``1.0``, ``true``) before a
    ``Literal`` of integers, which would take it."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    shown = repr(value) if isinstance(value, str) else str(value).lower()
    raise PydanticCustomError(
        "whole_number",
        "must be a whole number written in decimal digits, not {shown}",
        {"shown": shown, "hint": "write it in decimal digits, without quotes or a decimal point"},
    )


HostName = Annotated[str, AfterValidator(_host), Field(json_schema_extra={"pattern": HOST_PATTERN})]
Port = Annotated[int, Field(ge=1, le=65535)]
Fingerprint = Annotated[
    str, AfterValidator(_fingerprint), Field(json_schema_extra={"pattern": FINGERPRINT_PATTERN})
]
EnvName = Annotated[str, AfterValidator(_env), Field(json_schema_extra={"pattern": ENV_PATTERN})]
Cidr = Annotated[str, AfterValidator(_cidr), Field(json_schema_extra={"pattern": CIDR_PATTERN})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class EndpointDefaults(_Strict):
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


class Credentials(_Strict):
    """Names of environment variables that hold a login for the live checks.

    The values never appear in this file: only the variable names do.
    """

    username_env: EnvName = Field(description="Environment variable with the user name.")
    password_env: EnvName = Field(description="Environment variable with the password.")


class DomainSpec(_Strict):
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


FeedFormat = Literal["aws", "google", "github", "atlassian", "text"]

# Which filter keys each feed format understands. The loader refuses the others, so a
# filter that would silently match nothing (``regions`` on a GitHub feed) is an error.
FEED_FILTERS: dict[str, tuple[str, ...]] = {
    "aws": ("services", "regions"),
    "google": ("services", "scopes"),
    "github": ("keys",),
    "atlassian": ("products", "regions", "directions"),
    "text": (),
}
SHA256_PATTERN = r"^[0-9A-Fa-f]{64}$"


def _sha256(value: str) -> str:
    if len(value) != 64 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise PydanticCustomError(
            "sha256",
            f"sha256 must be 64 hex digits, not {value!r}",
            {"hint": "sha256sum FILE prints it (the first word)"},
        )
    return value.lower()


def _https_url(value: str) -> str:
    parts = urllib.parse.urlsplit(value)
    shown = value.replace(parts.netloc, parts.netloc.rpartition("@")[2], 1)
    if parts.scheme != "https" or not parts.netloc:
        raise PydanticCustomError(
            "url",
            f"a feed url must start with https://, not {shown!r}",
            {"hint": "feeds are read over TLS only; for a local copy use path: instead"},
        )
    if "@" in parts.netloc:
        raise PydanticCustomError(
            "url",
            "a feed url must not carry a user name or password",
            {"hint": "published feeds need no login, and secrets never live in this file"},
        )
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or not parts.hostname:
        raise PydanticCustomError(
            "url",
            f"the feed url {shown!r} has no valid host and port",
            {"hint": "write it as https://host/path or https://host:port/path"},
        )
    return value


Sha256 = Annotated[
    str, AfterValidator(_sha256), Field(json_schema_extra={"pattern": SHA256_PATTERN})
]
HttpsUrl = Annotated[
    str, AfterValidator(_https_url), Field(json_schema_extra={"pattern": "^https://.+"})
]
FilterValues = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class FeedSpec(_Strict):
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


class ConnectionIPs(_Strict):
    """The service's static egress ranges that domains with static IPs allowlist."""

    ranges: list[Cidr] = Field(default_factory=list, description="IPv4 and IPv6 CIDR ranges.")
    feeds: list[FeedSpec] = Field(
        default_factory=list,
        description="Published feeds whose ranges are added to ranges (read at plan time).",
    )


class Defaults(_Strict):
    imap: EndpointDefaults | None = None
    smtp: EndpointDefaults | None = None


class DomainsFile(_Strict):
    """One domains.yaml file. A folder of such files is merged into one desired state."""

    model_config = ConfigDict(title="mailctl domains file")

    version: Annotated[Literal[1], BeforeValidator(_whole_number)] = Field(
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


# --- resolved state ----------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Endpoint(_Frozen):
    host: str
    port: int
    security: Security


class Domain(_Frozen):
    name: str
    imap: Endpoint
    smtp: Endpoint
    allow_non_secure_certificate: bool = False
    certificate_sha256: str | None = None
    use_static_ip_addresses: bool = False
    credentials: Credentials | None = None


class Feed(_Frozen):
    """A feed as the loader resolved it: where to read it and what to keep."""

    format: FeedFormat
    source: str = Field(description="Absolute file path, or the https:// URL.")
    is_url: bool = False
    sha256: str | None = None
    filters: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    label: str = Field(default="", description="Where the feed is written: file:line:column.")


class Desired(_Frozen):
    """The merged, normalised desired state. ``domains`` is sorted by name.

    ``connection_ranges`` are the inline ranges until the feeds are read
    (``reconciler.allowlist.resolve``), then inline and feed ranges together, and
    ``feeds`` is empty.
    """

    connection_ranges: tuple[str, ...] = ()
    feeds: tuple[Feed, ...] = ()
    domains: Mapping[str, Domain] = Field(default_factory=dict)
    connection_ips_label: str = Field(
        default="", description="Where connection_ips is written: file:line:column."
    )

    def static_ip_domains(self) -> list[Domain]:
        return [d for d in self.domains.values() if d.use_static_ip_addresses]


BUILTIN_PORTS: dict[tuple[Protocol, Security], int] = {
    ("imap", "ssl"): 993,
    ("imap", "starttls"): 143,
    ("imap", "none"): 143,
    ("smtp", "ssl"): 465,
    ("smtp", "starttls"): 587,
    ("smtp", "none"): 587,
}
BUILTIN_SECURITY: Security = "ssl"


def domains_file_schema() -> dict[str, Any]:
    schema = DomainsFile.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://mailctl.dev/schemas/domains.schema.json",
        **schema,
    }

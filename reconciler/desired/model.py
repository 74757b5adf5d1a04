"""The resolved desired state, as frozen pydantic models: what the rest of mailctl works
with (``Desired``, ``Domain``, ``Endpoint``, ``Feed``), defaults merged in, every field
present, names normalised. What a file may say is :mod:`reconciler.desired.spec`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.desired.fields import EnvName, StrictModel
from reconciler.desired.shared_fields import Interned

FORMAT_VERSION = 1

Security = Literal["ssl", "starttls", "none"]
Protocol = Literal["imap", "smtp"]
FeedFormat = Literal["aws", "google", "github", "atlassian", "text"]


class Credentials(StrictModel, Interned):
    """Names of environment variables that hold a login for the live checks.

    The values never appear in this file: only the variable names do.
    """

    username_env: EnvName = Field(description="Environment variable with the user name.")
    password_env: EnvName = Field(description="Environment variable with the password.")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Endpoint(_Frozen, Interned):
    host: str
    port: int
    security: Security


class Domain(_Frozen, Interned):
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

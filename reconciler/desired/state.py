"""Stored state as the core sees it: a value, with no knowledge of where it is kept.

A :class:`StoredState` is what a store returns when read (and what a history entry
records): the connection ranges and the domains, plus the store's ``lineage`` (a
random id fixed when the store was created) and ``serial`` (+1 on every write).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from reconciler.desired.canonical_json import Object, digest
from reconciler.desired.model import Desired, Domain, Endpoint
from reconciler.desired.shared_fields import compact_context


class StoredState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lineage: str | None = Field(default=None, description="Id of the store; None: no store yet.")
    serial: int = Field(default=0, ge=0)
    connection_ranges: tuple[str, ...] = ()
    domains: Mapping[str, Domain] = Field(default_factory=dict)

    def as_desired(self) -> Desired:
        return Desired(connection_ranges=self.connection_ranges, domains=dict(self.domains))


def flatten(domain: Domain) -> dict[str, Any]:
    """A domain as dotted fields (``imap.port`` …), the unit of field-level diffs."""
    creds = domain.credentials
    return {
        "imap.host": domain.imap.host,
        "imap.port": domain.imap.port,
        "imap.security": domain.imap.security,
        "smtp.host": domain.smtp.host,
        "smtp.port": domain.smtp.port,
        "smtp.security": domain.smtp.security,
        "allow_non_secure_certificate": domain.allow_non_secure_certificate,
        "certificate_sha256": domain.certificate_sha256,
        "use_static_ip_addresses": domain.use_static_ip_addresses,
        "credentials.username_env": creds.username_env if creds else None,
        "credentials.password_env": creds.password_env if creds else None,
    }


FIELDS: tuple[str, ...] = tuple(
    flatten(
        Domain(
            name="x.example",
            imap=Endpoint(host="x.example", port=1, security="ssl"),
            smtp=Endpoint(host="x.example", port=1, security="ssl"),
        )
    )
)


def _nested(name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    username, password = (
        fields.get("credentials.username_env"),
        fields.get("credentials.password_env"),
    )
    return {
        "name": name,
        "imap": {
            "host": fields["imap.host"],
            "port": fields["imap.port"],
            "security": fields["imap.security"],
        },
        "smtp": {
            "host": fields["smtp.host"],
            "port": fields["smtp.port"],
            "security": fields["smtp.security"],
        },
        "allow_non_secure_certificate": bool(fields["allow_non_secure_certificate"]),
        "certificate_sha256": fields.get("certificate_sha256"),
        "use_static_ip_addresses": bool(fields["use_static_ip_addresses"]),
        "credentials": (
            {"username_env": username, "password_env": password} if username and password else None
        ),
    }


_DOMAINS = TypeAdapter(dict[str, Domain])
_BATCH = 2_048


def unflatten_many(items: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Domain]:
    """The inverse of :func:`flatten` for many domains at once, in the given order.

    A validation call per batch: far cheaper than building 10,000 models one by one
    (``model_construct`` is slower still, being pure Python), and never more than a
    batch of nested dicts held. Equal endpoints and credentials are one object each
    (``shared_fields``): 100,000 stored domains of fifty providers hold a hundred.
    """
    context = compact_context()
    found: dict[str, Domain] = {}
    batch: dict[str, Any] = {}
    for name, fields in items:
        batch[name] = _nested(name, fields)
        if len(batch) >= _BATCH:
            found.update(_DOMAINS.validate_python(batch, context=context))
            batch = {}
    found.update(_DOMAINS.validate_python(batch, context=context))
    return found


def state_checksum(state: StoredState | Desired) -> str:
    """SHA-256 of the canonical content (ranges and domains; not lineage or serial).

    Equal content gives an equal checksum whatever the order it was built in.
    """
    domains = state.domains
    return content_checksum(
        state.connection_ranges, ((name, flatten(domains[name])) for name in sorted(domains))
    )


def content_checksum(
    ranges: Iterable[str], domains: Iterable[tuple[str, Mapping[str, Any]]]
) -> str:
    """The checksum of a state given as its ranges and each domain's ``flatten`` fields,
    the domains sorted by name: what :func:`state_checksum` hashes, streamed."""
    return digest(Object((("connection_ranges", sorted(ranges)), ("domains", Object(domains)))))

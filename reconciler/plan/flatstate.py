"""A stored state as rows of canonical values: what a plan needs of the store. Pure.

Building 10,000 models to compare them with 10,000 desired models costs more than the
compare; rows are tuples that compare in C. A :class:`FlatState` holds every stored
domain as its row (``flatten``'s values, in :data:`FIELDS` order, with the types its
model would give them) and the models of the domains whose row differs from the
plan's target (the ones a plan shows as deleted or updated). Equal rows mean equal
models, so a plan made from it is the plan made from the models, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.desired.model import Domain
from reconciler.desired.state import FIELDS, StoredState, content_checksum

Row = tuple[Any, ...]

STATIC_IP = FIELDS.index("use_static_ip_addresses")


def row_of(domain: Domain) -> Row:
    """``flatten(domain)``'s values in :data:`FIELDS` order (made directly: a plan or
    an apply makes one for every domain; a test holds it to ``flatten``)."""
    imap, smtp, creds = domain.imap, domain.smtp, domain.credentials
    return (
        imap.host,
        imap.port,
        imap.security,
        smtp.host,
        smtp.port,
        smtp.security,
        domain.allow_non_secure_certificate,
        domain.certificate_sha256,
        domain.use_static_ip_addresses,
        creds.username_env if creds else None,
        creds.password_env if creds else None,
    )


def rows_of(domains: Mapping[str, Domain]) -> dict[str, Row]:
    return {name: row_of(domain) for name, domain in domains.items()}


def as_fields(row: Row) -> dict[str, Any]:
    """The row as ``flatten`` gives it: dotted field name to value."""
    return dict(zip(FIELDS, row, strict=True))


def rows_checksum(ranges: tuple[str, ...], rows: Mapping[str, Row]) -> str:
    """:func:`reconciler.desired.state.state_checksum` of a state given as rows."""
    return content_checksum(ranges, ((name, as_fields(rows[name])) for name in sorted(rows)))


@dataclass(frozen=True)
class FlatState:
    """``rows``: every stored domain, sorted by name, canonical (the row of its model).
    ``models``: the model of at least every domain whose row is not the target's."""

    lineage: str | None
    serial: int
    connection_ranges: tuple[str, ...]
    rows: Mapping[str, Row]
    models: Mapping[str, Domain] = field(default_factory=dict)

    @classmethod
    def of(cls, state: StoredState) -> FlatState:
        return cls(
            lineage=state.lineage,
            serial=state.serial,
            connection_ranges=state.connection_ranges,
            rows=rows_of(state.domains),
            models=state.domains,
        )

    def model(self, name: str, fallback: Mapping[str, Domain]) -> Domain:
        """The model of domain ``name``: its own, else ``fallback``'s, whose row is equal."""
        found = self.models.get(name)
        return found if found is not None else fallback[name]

    def static_ip_domains(self, fallback: Mapping[str, Domain]) -> dict[str, Domain]:
        """The static-IP domains as models (see :meth:`model`)."""
        return {
            name: self.model(name, fallback) for name, row in self.rows.items() if row[STATIC_IP]
        }

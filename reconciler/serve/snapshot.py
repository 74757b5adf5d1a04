"""The applied state of one serial, with every answer rendered in advance. Pure.

A :class:`Snapshot` is built once per serial (:func:`build`) and never changes, so a
request that holds one answers wholly from that serial. Its tag (lineage and serial)
is the ETag of every answer made from it: a new apply, or a store replaced by another
one at the same serial, changes every ETag.

It also holds the last audit verdict of each domain, read with the settings. An audit
does not change the serial, so a snapshot is built per serial *and evidence mark* (the
newest evidence record's id): a new audit makes a new snapshot, and the mark is in the
tag once there is any evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.autoconfig.xml_out import client_config, display_name
from reconciler.desired.model import Domain, Endpoint
from reconciler.desired.state import StoredState
from reconciler.plan.audit_replay import LastAudit
from reconciler.serve.models import (
    AddressSettings,
    ConnectionIps,
    DomainList,
    DomainSettings,
    Server,
)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One domain's answers, as sent."""

    settings_json: bytes
    autoconfig_xml: bytes
    ips_json: bytes
    ips_text: bytes


@dataclass(frozen=True)
class Snapshot:
    lineage: str | None
    serial: int
    applied_at: str | None
    domains: Mapping[str, Domain] = field(default_factory=dict)
    connection_ranges: tuple[str, ...] = ()
    rendered: Mapping[str, Rendered] = field(default_factory=dict)
    list_json: bytes = b""
    ips_json: bytes = b""
    ips_text: bytes = b""
    audits: Mapping[str, LastAudit] = field(default_factory=dict)  # audited domains only
    evidence_mark: int = 0

    @property
    def tag(self) -> str:
        base = f"{self.lineage or 'none'}-{self.serial}"
        return f"{base}-a{self.evidence_mark}" if self.evidence_mark else base

    def etag(self, variant: str) -> str:
        """The strong ETag of the ``variant`` (json, text, xml, ...) of an answer."""
        return f'"{self.tag}.{variant}"'

    def address_settings(self, email: str, domain: str) -> bytes:
        """The pre-population answer for ``email`` (already checked) of ``domain``."""
        settings = self.domains[domain]
        return (
            AddressSettings(
                email=email,
                domain=domain,
                imap=_server(settings.imap, email),
                smtp=_server(settings.smtp, email),
                allow_non_secure_certificate=settings.allow_non_secure_certificate,
                serial=self.serial,
            )
            .model_dump_json()
            .encode()
        )


def ranges_text(ranges: tuple[str, ...]) -> bytes:
    """One CIDR a line, each line ending in a new line (nothing for no ranges)."""
    return "".join(f"{cidr}\n" for cidr in ranges).encode()


def build(
    state: StoredState,
    applied_at: str | None,
    audits: Mapping[str, LastAudit] | None = None,
    evidence_mark: int = 0,
) -> Snapshot:
    """The snapshot of ``state`` (applied at ``applied_at``), with the last audit of each
    audited domain, read with it at ``evidence_mark``."""
    serial = state.serial
    ranges = tuple(state.connection_ranges)
    rendered: dict[str, Rendered] = {}
    for name, domain in state.domains.items():
        static = domain.use_static_ip_addresses
        rendered[name] = Rendered(
            settings_json=_settings(domain, serial, applied_at),
            autoconfig_xml=client_config(domain),
            ips_json=_ips(serial, ranges if static else (), name, static),
            ips_text=ranges_text(ranges) if static else b"",
        )
    listed = DomainList(serial=serial, applied_at=applied_at, domains=sorted(state.domains))
    return Snapshot(
        lineage=state.lineage,
        serial=serial,
        applied_at=applied_at,
        domains=dict(state.domains),
        connection_ranges=ranges,
        rendered=rendered,
        list_json=listed.model_dump_json().encode(),
        ips_json=_ips(serial, ranges, None, None),
        ips_text=ranges_text(ranges),
        audits=dict(audits or {}),
        evidence_mark=evidence_mark,
    )


def _server(endpoint: Endpoint, username: str | None = None) -> Server:
    return Server(
        host=endpoint.host, port=endpoint.port, security=endpoint.security, username=username
    )


def _settings(domain: Domain, serial: int, applied_at: str | None) -> bytes:
    return (
        DomainSettings(
            name=domain.name,
            display_name=display_name(domain.name),
            imap=_server(domain.imap),
            smtp=_server(domain.smtp),
            allow_non_secure_certificate=domain.allow_non_secure_certificate,
            certificate_sha256=domain.certificate_sha256,
            use_static_ip_addresses=domain.use_static_ip_addresses,
            serial=serial,
            applied_at=applied_at,
        )
        .model_dump_json()
        .encode()
    )


def _ips(serial: int, ranges: tuple[str, ...], domain: str | None, static: bool | None) -> bytes:
    document = ConnectionIps(
        serial=serial, domain=domain, use_static_ip_addresses=static, ranges=list(ranges)
    )
    return document.model_dump_json(exclude_none=domain is None).encode()


EMPTY = build(StoredState(), None)

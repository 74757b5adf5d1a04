"""The allowlist as data: the connection ranges, collapsed once, may reach the IMAP and
SMTP ports of every domain that uses static IP addresses. Pure; no I/O.

Every static-IP domain allowlists the same sources (the service's egress ranges), so
they are parsed and collapsed once per run and shared by every domain's rule, however
many domains there are.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from reconciler.desired.model import Domain

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Sources:
    """The connection ranges, collapsed, IPv4 and IPv6 apart, each sorted by address."""

    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()

    @cached_property
    def digest(self) -> str:
        body = json.dumps([self.ipv4, self.ipv6], separators=(",", ":"))
        return hashlib.sha256(body.encode("ascii")).hexdigest()

    def __len__(self) -> int:
        return len(self.ipv4) + len(self.ipv6)


def collapse(ranges: Iterable[str | Network]) -> Sources:
    """Parse and collapse ``ranges``: duplicates and overlaps merge, adjacent ranges join.

    Ranges must be networks without host bits (the loader and the feed readers refuse
    the others), so this raises ValueError only on a programming error.
    """
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for item in ranges:
        if isinstance(item, str):
            if "%" in item:  # an IPv6 zone: text that would reach the files verbatim
                raise ValueError(f"{item!r} is not a range")
            network: Network = ipaddress.ip_network(item)
        else:
            network = item
        if isinstance(network, ipaddress.IPv4Network):
            v4.append(network)
        else:
            v6.append(network)
    return Sources(
        ipv4=tuple(str(n) for n in ipaddress.collapse_addresses(v4)),
        ipv6=tuple(str(n) for n in ipaddress.collapse_addresses(v6)),
    )


@dataclass(frozen=True)
class DomainRule:
    """The ports of one domain's mail servers that the sources may reach."""

    domain: str
    imap_host: str
    imap_port: int
    smtp_host: str
    smtp_port: int

    @property
    def ports(self) -> tuple[int, ...]:
        """The destination ports, sorted, each once (IMAP and SMTP may share one)."""
        return tuple(sorted({self.imap_port, self.smtp_port}))

    def canonical(self) -> list[object]:
        return [self.domain, self.imap_host, self.imap_port, self.smtp_host, self.smtp_port]

    @classmethod
    def of(cls, domain: Domain) -> DomainRule:
        return cls(
            domain=domain.name,
            imap_host=domain.imap.host,
            imap_port=domain.imap.port,
            smtp_host=domain.smtp.host,
            smtp_port=domain.smtp.port,
        )


@dataclass(frozen=True)
class Origin:
    """Which state the allowlist was made from. Goes into file headers, never into the
    checksum: the same rules from a later serial are the same content."""

    kind: Literal["stored", "desired"] = "stored"
    lineage: str | None = None
    serial: int = 0


@dataclass(frozen=True)
class Allowlist:
    """Rules for some static-IP domains (sorted by name), all sharing ``sources``."""

    sources: Sources
    domains: tuple[DomainRule, ...]
    origin: Origin = field(default_factory=Origin)

    @cached_property
    def checksum(self) -> str:
        """``sha256:…`` of the rules: sources and each domain's hosts and ports. The same
        in every file format, so two files that carry it express the same rules."""
        rules = json.dumps([d.canonical() for d in self.domains], separators=(",", ":"))
        digest = hashlib.sha256(f"{self.sources.digest}\n{rules}".encode()).hexdigest()
        return "sha256:" + digest

    def for_domain(self, rule: DomainRule) -> Allowlist:
        """The allowlist of one domain: the same sources, that domain's rule alone."""
        return Allowlist(sources=self.sources, domains=(rule,), origin=self.origin)


def build(ranges: Iterable[str], domains: Iterable[Domain], origin: Origin) -> Allowlist:
    """The allowlist of every domain in ``domains`` that uses static IP addresses."""
    rules = sorted(
        (DomainRule.of(d) for d in domains if d.use_static_ip_addresses),
        key=lambda r: r.domain,
    )
    return Allowlist(sources=collapse(ranges), domains=tuple(rules), origin=origin)

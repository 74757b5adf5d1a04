"""Plain text: ``#`` comment lines, then one CIDR a line, IPv4 then IPv6.

The sources alone, for tools that take an address list (a cloud security group, a
provider's allowlist form, another firewall); the ports are in the header. The same
shape as a plain-text feed (one CIDR a line, ``#`` comments), so it reads back as one.
All domains share the sources, so the combined file is O(ranges).
"""

from __future__ import annotations

from reconciler.allowlist.formats import names
from reconciler.allowlist.formats.header import header
from reconciler.allowlist.rules import Allowlist

EXTENSION = ".txt"


def render(allowlist: Allowlist, stem: str) -> list[tuple[str, bytes]]:
    cidrs = allowlist.sources.ipv4 + allowlist.sources.ipv6
    body = "\n".join(cidrs) + "\n" if cidrs else ""
    text = header(allowlist, stem, "text", ["one CIDR a line, IPv4 then IPv6"]) + body
    return [(names.file_name(stem, EXTENSION), text.encode("ascii"))]

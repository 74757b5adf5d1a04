"""The file formats of an allowlist: nftables, iptables, ipset, plain text, JSON, CSV.

Every format renders an :class:`~reconciler.allowlist.rules.Allowlist` to bytes, for one
domain (``stem`` is the domain name and the allowlist holds that domain alone, see
``Allowlist.for_domain``) or for all domains (``stem`` is ``"all"``). Rendering is pure:
the same allowlist gives the same bytes (sorted, no timestamps), so files are rewritten
only when the rules or their origin change.

Speed: the sources are parsed and collapsed once, in :mod:`reconciler.allowlist.rules`;
formats only join those strings, each file writing the sources block once, with the
text around each CIDR built once per block rather than once per line.

Size of the combined file, for r ranges and d domains (every domain shares the
sources): nftables, iptables and JSON O(r + d); ipset and text O(r), with the domains
in the header; CSV O(d x r), one row per domain and CIDR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.allowlist.formats import (
    csv_format,
    ipset,
    iptables,
    json_format,
    names,
    nftables,
    text,
)
from reconciler.allowlist.formats.header import COMBINED
from reconciler.allowlist.rules import Allowlist

Renderer = Callable[[Allowlist, str], list[tuple[str, bytes]]]


@dataclass(frozen=True)
class Format:
    """One file format: ``render(allowlist, stem)`` gives ``[(file name, bytes)]``, each
    name ``names.file_name(stem, extension)`` for one of ``extensions``."""

    name: str
    description: str
    render: Renderer
    extensions: tuple[str, ...]

    def file_names(self, stem: str) -> frozenset[str]:
        """Every name this format can give a file of ``stem`` (``"all"`` or a normalised
        domain name; anything else is no stem of ours and has no names)."""
        if stem != COMBINED:
            try:
                names.checked_domain(stem)
            except ValueError:
                return frozenset()
        return frozenset(names.file_name(stem, extension) for extension in self.extensions)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "nftables",
            "nft -f input: a table inet with interval sets and accept rules (.nft)",
            nftables.render,
            (nftables.EXTENSION,),
        ),
        Format(
            "iptables",
            "iptables-restore/ip6tables-restore --noflush input, a chain per domain "
            "(.rules.v4, .rules.v6)",
            iptables.render,
            iptables.EXTENSIONS,
        ),
        Format(
            "ipset",
            "ipset restore input: hash:net sets, inet, inet6 (.ipset)",
            ipset.render,
            (ipset.EXTENSION,),
        ),
        Format("txt", "one CIDR a line, IPv4 then IPv6 (.txt)", text.render, (text.EXTENSION,)),
        Format(
            "json",
            "JSON, schema: mailctl schema allowlist (.json)",
            json_format.render,
            (json_format.EXTENSION,),
        ),
        Format(
            "csv",
            "CSV, one row per domain and CIDR (.csv)",
            csv_format.render,
            (csv_format.EXTENSION,),
        ),
    )
}

__all__ = ["COMBINED", "FORMATS", "Format", "Renderer"]

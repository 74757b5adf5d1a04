"""nftables: a self-contained ``table inet`` that ``nft -f`` loads.

The table holds two interval sets of the sources (``v4``: ipv4_addr, ``v6``: ipv6_addr;
a family without sources gets an empty set, which nft accepts and which matches
nothing) and a base chain ``input`` on the input hook, policy accept, that accepts TCP
from the sets to each domain's ports. A per-domain file is the table
``mailctl-<domain>`` (see :mod:`.names`); the combined file is the table ``mailctl``,
with the sets once and two rules per domain, so its size is O(ranges + domains).

Reloading is idempotent and atomic: the file first declares the table empty and deletes
it, then defines it, and ``nft -f`` applies the whole file as one transaction, so a
reload replaces the table (dropping rules of domains since removed) and never doubles
a rule, and a failed load changes nothing.

nftables semantics to know (written in the header too): an ``accept`` ends the
evaluation of this table's chain only; a ``drop`` in another table's chain on the same
hook still drops the packet. The table therefore opens the ports only where no other
table drops them, or its sets and rules are copied into the table that does.
"""

from __future__ import annotations

from reconciler.allowlist.formats import names
from reconciler.allowlist.formats.header import header, is_combined
from reconciler.allowlist.rules import Allowlist, DomainRule

EXTENSION = ".nft"
_ELEMENT_SEPARATOR = ",\n\t\t\t"


def _set(name: str, kind: str, cidrs: tuple[str, ...]) -> str:
    body = f"\tset {name} {{\n\t\ttype {kind}\n\t\tflags interval\n"
    if cidrs:
        body += "\t\telements = {\n\t\t\t" + _ELEMENT_SEPARATOR.join(cidrs) + "\n\t\t}\n"
    return body + "\t}\n"


def _rules(rule: DomainRule) -> str:
    ports = rule.ports
    dport = str(ports[0]) if len(ports) == 1 else "{ " + ", ".join(map(str, ports)) + " }"
    tail = f' tcp dport {dport} accept comment "{names.nft_comment(rule.domain)}"\n'
    return f"\t\tip saddr @v4{tail}\t\tip6 saddr @v6{tail}"


def render(allowlist: Allowlist, stem: str) -> list[tuple[str, bytes]]:
    combined = is_combined(allowlist, stem)
    table = names.PREFIX if combined else names.nft_table(allowlist.domains[0].domain)
    file_name = names.file_name(stem, EXTENSION)
    usage = [
        f"load or reload: nft -f {file_name}  (replaces table inet {table} atomically)",
        "an accept here ends this table's chain only: a drop in another table on the",
        "input hook still drops; copy the sets and rules into that table if there is one",
    ]
    text = "".join(
        [
            header(allowlist, stem, "nftables", usage),
            f"table inet {table} {{}}\n",
            f"delete table inet {table}\n",
            f"table inet {table} {{\n",
            _set("v4", "ipv4_addr", allowlist.sources.ipv4),
            _set("v6", "ipv6_addr", allowlist.sources.ipv6),
            "\tchain input {\n",
            "\t\ttype filter hook input priority filter; policy accept;\n",
            *(_rules(rule) for rule in allowlist.domains),
            "\t}\n",
            "}\n",
        ]
    )
    return [(file_name, text.encode("ascii"))]

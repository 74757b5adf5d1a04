"""ipset: ``ipset restore`` input, one ``hash:net`` set per address family.

Each set is written as ``create NAME hash:net family inet|inet6 maxelem N -exist``,
``flush NAME``, then one ``add NAME CIDR`` per source, so restoring the same file again
refills the sets instead of failing on sets that exist. Both sets are always created,
even for a family without sources: an empty set matches nothing, and firewall rules
that name it (``-m set --match-set``) load whether or not that family has ranges today.

The sets carry addresses only; the ports are in the header, with the rule that uses
the sets. Per-domain files name the sets ``mailctl-v4-<domain>`` and
``mailctl-v6-<domain>`` (see :mod:`.names`). All domains share the sources, so the
combined file is the two sets ``mailctl-v4`` and ``mailctl-v6``: O(ranges), with the
domains and their ports listed in the header.

``maxelem`` is the kernel's default, 65536, unless a family has more ranges; then the
next power of two, so that it changes rarely: ``create -exist`` fails on a set that
exists with another ``maxelem``, which must then be destroyed (or swapped) first.
``hash:net`` refuses a /0, so a whole address space is added as its two halves.
"""

from __future__ import annotations

from reconciler.allowlist.formats import names
from reconciler.allowlist.formats.header import header, is_combined
from reconciler.allowlist.rules import Allowlist

EXTENSION = ".ipset"
DEFAULT_MAXELEM = 65536
_WHOLE = {"0.0.0.0/0": ("0.0.0.0/1", "128.0.0.0/1"), "::/0": ("::/1", "8000::/1")}


def maxelem(count: int) -> int:
    size = DEFAULT_MAXELEM
    while size < count:
        size *= 2
    return size


def _set(name: str, family: str, cidrs: tuple[str, ...]) -> str:
    if len(cidrs) == 1 and cidrs[0] in _WHOLE:
        cidrs = _WHOLE[cidrs[0]]
    text = (
        f"create {name} hash:net family {family} maxelem {maxelem(len(cidrs))} -exist\n"
        f"flush {name}\n"
    )
    if cidrs:
        before = f"add {name} "
        text += before + ("\n" + before).join(cidrs) + "\n"
    return text


def render(allowlist: Allowlist, stem: str) -> list[tuple[str, bytes]]:
    if is_combined(allowlist, stem):
        v4, v6 = f"{names.PREFIX}-v4", f"{names.PREFIX}-v6"
        ports = sorted({port for rule in allowlist.domains for port in rule.ports})
    else:
        domain = allowlist.domains[0].domain
        v4, v6 = names.ipset_set(4, domain), names.ipset_set(6, domain)
        ports = list(allowlist.domains[0].ports)
    file_name = names.file_name(stem, EXTENSION)
    # multiport takes at most 15 ports: past that, one rule per domain, with its ports.
    dports = ",".join(map(str, ports)) if 0 < len(ports) <= 15 else "PORTS"
    usage = [
        f"load or reload: ipset restore -file {file_name}",
        "use, for example:",
        *(
            f"  {tool} -A INPUT -p tcp -m multiport --dports {dports}"
            f" -m set --match-set {name} src -j ACCEPT"
            for tool, name in (("iptables", v4), ("ip6tables", v6))
        ),
    ]
    text = "".join(
        [
            header(allowlist, stem, "ipset", usage),
            _set(v4, "inet", allowlist.sources.ipv4),
            _set(v6, "inet6", allowlist.sources.ipv6),
        ]
    )
    return [(file_name, text.encode("ascii"))]

"""iptables: an ``iptables-restore`` file (IPv4) and an ``ip6tables-restore`` file (IPv6),
``<stem>.rules.v4`` and ``<stem>.rules.v6`` as Debian's iptables-persistent names them.

Made for ``iptables-restore --noflush``: the files never flush a host's other rules.
Declaring a chain (``:mailctl-example.com - [0:0]``) creates it or, when it exists,
empties it, so loading a file again replaces its chains' rules and never doubles them.
The files add no jump from INPUT (that rule would be added again on every load, and
where to put it is the host's policy); the header gives the one-time hook.

Per-domain file: the chain ``mailctl-<domain>`` (see :mod:`.names`) with one rule per
source CIDR, ``-s CIDR -p tcp -m multiport --dports P1,P2`` (``--dport P`` for one port)
``-j ACCEPT``, commented with the domain.

Combined file: O(ranges + domains) rules, because all domains share the sources. The
chain ``mailctl-sources`` accepts each source CIDR; each domain's chain (named as in its
per-domain file, so a hook works with either file) sends that domain's ports there; the
chain ``mailctl`` jumps to every domain's chain, so one hook serves them all. Chains of
domains removed since an earlier load stay on the host until deleted by hand
(``--noflush`` cannot know them).

A family without sources gives a file that declares the chains and adds no source rule;
both tools accept it.
"""

from __future__ import annotations

from reconciler.allowlist.formats import names
from reconciler.allowlist.formats.header import header, is_combined
from reconciler.allowlist.rules import Allowlist, DomainRule

SOURCES_CHAIN = f"{names.PREFIX}-sources"
EXTENSIONS = (".rules.v4", ".rules.v6")  # the IPv4 file, the IPv6 file


def _match(rule: DomainRule) -> str:
    ports = rule.ports
    if len(ports) == 1:
        dport = f"--dport {ports[0]}"
    else:
        dport = "-m multiport --dports " + ",".join(map(str, ports))
    return f'-p tcp {dport} -m comment --comment "{rule.domain}"'


def _per_domain(rule: DomainRule, cidrs: tuple[str, ...]) -> list[str]:
    chain = names.iptables_chain(rule.domain)
    body = [f":{chain} - [0:0]\n"]
    if cidrs:
        before = f"-A {chain} -s "
        after = f" {_match(rule)} -j ACCEPT\n"
        body.append(before + (after + before).join(cidrs) + after)
    return body


def _combined(rules: tuple[DomainRule, ...], cidrs: tuple[str, ...]) -> list[str]:
    chains = names.check_unique((r.domain for r in rules), names.iptables_chain)
    body = [f":{names.PREFIX} - [0:0]\n"]
    body += [f":{chain} - [0:0]\n" for chain in chains]
    body.append(f":{SOURCES_CHAIN} - [0:0]\n")
    body += [f"-A {names.PREFIX} -j {chain}\n" for chain in chains]
    body += [
        f"-A {chain} {_match(rule)} -j {SOURCES_CHAIN}\n"
        for chain, rule in zip(chains, rules, strict=True)
    ]
    if cidrs:
        before = f"-A {SOURCES_CHAIN} -s "
        after = " -j ACCEPT\n"
        body.append(before + (after + before).join(cidrs) + after)
    return body


def _file(allowlist: Allowlist, stem: str, version: int) -> tuple[str, bytes]:
    combined = is_combined(allowlist, stem)
    tool = "iptables" if version == 4 else "ip6tables"
    cidrs = allowlist.sources.ipv4 if version == 4 else allowlist.sources.ipv6
    file_name = names.file_name(stem, EXTENSIONS[0] if version == 4 else EXTENSIONS[1])
    entry = names.PREFIX if combined else names.iptables_chain(allowlist.domains[0].domain)
    usage = [
        f"load or reload: {tool}-restore --noflush {file_name}",
        "  (--noflush: only this file's chains are replaced; never load it without)",
        f"hook it in once: {tool} -C INPUT -j {entry} || {tool} -A INPUT -j {entry}",
    ]
    rules = allowlist.domains
    body = _combined(rules, cidrs) if combined else _per_domain(rules[0], cidrs)
    text = "".join([header(allowlist, stem, tool, usage), "*filter\n", *body, "COMMIT\n"])
    return file_name, text.encode("ascii")


def render(allowlist: Allowlist, stem: str) -> list[tuple[str, bytes]]:
    return [_file(allowlist, stem, 4), _file(allowlist, stem, 6)]

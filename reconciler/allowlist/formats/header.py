"""The comment lines at the top of every allowlist file (JSON carries the same facts as
fields, having no comments).

A header says what the file is, which state it was made from (lineage and serial, so a
reader can match it to ``mailctl history``), the content checksum (the same in every
format, so two files of different formats can be compared without parsing either), that
mailctl overwrites it, and how to load it. It holds no timestamp and no mailctl version:
the same rules must give the same bytes, so that an unchanged file is never rewritten
and Git shows only real changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.allowlist.formats.names import checked_domain, checked_host
from reconciler.allowlist.rules import Allowlist, DomainRule, Origin

COMBINED = "all"
"""The stem of the combined files, which hold every static-IP domain. Never a domain
name: those have at least two labels."""


def is_combined(allowlist: Allowlist, stem: str) -> bool:
    """Whether ``stem`` asks for the combined file; a per-domain file must be asked for
    by the name of the allowlist's one domain."""
    if stem == COMBINED:
        return True
    if len(allowlist.domains) != 1 or allowlist.domains[0].domain != stem:
        raise ValueError(
            f"a per-domain file is made from that domain's allowlist alone "
            f"(Allowlist.for_domain); got stem {stem!r} for "
            f"{[d.domain for d in allowlist.domains]}"
        )
    return False


def endpoint(host: str, port: int) -> str:
    """``host:port``, with brackets around an IPv6 literal."""
    checked_host(host)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def describe(rule: DomainRule) -> str:
    """One line on a domain's rule: its name and the hosts behind its ports."""
    return (
        f"{checked_domain(rule.domain)}: IMAP {endpoint(rule.imap_host, rule.imap_port)}, "
        f"SMTP {endpoint(rule.smtp_host, rule.smtp_port)}"
    )


def origin_line(origin: Origin) -> str:
    lineage = origin.lineage if origin.lineage is not None else "none (no store yet)"
    against = f"lineage {lineage} serial {origin.serial}"
    if origin.kind == "desired":
        return f"desired state, not applied; planned against {against}"
    return f"{against} (stored state)"


def header(allowlist: Allowlist, stem: str, format_name: str, usage: Iterable[str]) -> str:
    """The header as ``#`` comment lines, each ending with a newline.

    ``usage`` are the format's own lines: how to load the file and hook it in."""
    if is_combined(allowlist, stem):
        count = len(allowlist.domains)
        title = f"all static-IP domains ({count} domain{'' if count == 1 else 's'})"
    else:
        title = allowlist.domains[0].domain
    sources = allowlist.sources
    lines = [
        f"mailctl allowlist: {title} ({format_name})",
        origin_line(allowlist.origin),
        f"checksum {allowlist.checksum} (of the rules; the same in every format)",
        "written by mailctl: edits are overwritten",
        f"sources: {len(sources.ipv4)} IPv4 and {len(sources.ipv6)} IPv6 ranges, collapsed; "
        "they may reach these ports:",
        *(f"  {describe(rule)}" for rule in allowlist.domains),
        *usage,
    ]
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)

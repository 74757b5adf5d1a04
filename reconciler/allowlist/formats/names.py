"""Names of firewall objects (nftables tables, iptables chains, ipset sets) made from
domain names.

Each tool limits its names: iptables chains to 28 characters, ipset sets to 31, nftables
comments to 128 (its identifiers may be longer, but 128 keeps ``nft list`` readable and
matches the comment limit). A domain name may be 253 characters, so a name is the
tool's prefix and the domain verbatim when that fits (readable: ``mailctl-example.com``),
and otherwise the prefix, the start of the domain (without a trailing ``.`` or ``-``),
``_`` and the first 10 hex digits of the SHA-256 of the full domain. The full domain is
always written in a comment beside the object.

Why this is unique: names are a function of the domain alone (so a per-domain file and
the combined file name a domain's objects alike, on any host), verbatim names differ
because domains differ (``a-b.example`` and ``a.b.example`` stay apart: no character is
mapped to another), and a shortened name contains ``_``, which a normalised domain name
never does, so it cannot equal a verbatim one. Two shortened names coincide only when 40
bits of SHA-256 do; the combined files check and refuse that rather than merge two
domains (:func:`check_unique`).

Every name starts with a letter (the prefix), as nftables identifiers must, and holds
only ``[a-z0-9._-]``, which all three tools accept unquoted. File names are shortened
the same way, and only when a domain and the extension exceed 255 bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable

PREFIX = "mailctl"
HASH_CHARS = 10
NFT_MAX = 128
IPTABLES_MAX = 28
IPSET_MAX = 31
FILE_NAME_MAX = 255  # bytes in a file name (NAME_MAX) on Linux file systems

# What reconciler.desired.names lets through: two or more lower case LDH labels (IDN as A-labels).
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+{_LABEL}\Z")
# Host names, IPv4 and IPv6 literals: safe inside quotes and comments of every format.
_HOST = re.compile(r"[a-z0-9.:-]+\Z")


def checked_domain(domain: str) -> str:
    """``domain`` if it is a normalised domain name; a ValueError otherwise.

    The loader normalises names, so anything else is a programming error; refusing it
    here keeps quotes and line breaks out of files that firewalls parse."""
    if not _DOMAIN.match(domain) or len(domain) > 253:
        raise ValueError(f"not a normalised domain name: {domain!r}")
    return domain


def checked_host(host: str) -> str:
    """``host`` if it is a normalised host name or IP literal; a ValueError otherwise."""
    if not _HOST.match(host):
        raise ValueError(f"not a normalised host name or IP literal: {host!r}")
    return host


def shortened(prefix: str, domain: str, limit: int) -> str:
    """``prefix + domain``, or when longer than ``limit`` its start and a hash of
    ``domain`` (see the module docstring)."""
    checked_domain(domain)
    name = prefix + domain
    if len(name) <= limit:
        return name
    keep = limit - len(prefix) - 1 - HASH_CHARS
    if keep < 1:
        raise ValueError(f"prefix {prefix!r} leaves no room in {limit} characters")
    digest = hashlib.sha256(domain.encode("ascii")).hexdigest()[:HASH_CHARS]
    return f"{prefix}{domain[:keep].rstrip('.-')}_{digest}"


def nft_table(domain: str) -> str:
    return shortened(PREFIX + "-", domain, NFT_MAX)


def nft_comment(domain: str) -> str:
    """A rule comment naming ``domain``: the domain itself when nft allows its length."""
    return shortened("", domain, NFT_MAX)


def iptables_chain(domain: str) -> str:
    return shortened(PREFIX + "-", domain, IPTABLES_MAX)


def ipset_set(version: int, domain: str) -> str:
    return shortened(f"{PREFIX}-v{version}-", domain, IPSET_MAX)


def file_name(stem: str, extension: str) -> str:
    """``stem + extension``, the stem shortened like a firewall name when the whole would
    not fit in a file name (a 253-character domain and ``.rules.v4``)."""
    if len(stem) + len(extension) <= FILE_NAME_MAX:
        return stem + extension
    return shortened("", stem, FILE_NAME_MAX - len(extension)) + extension


def check_unique(domains: Iterable[str], name: Callable[[str], str]) -> list[str]:
    """``name(d)`` of every domain, refusing two domains that get one name."""
    seen: dict[str, str] = {}
    names = []
    for domain in domains:
        made = name(domain)
        other = seen.setdefault(made, domain)
        if other != domain:
            raise ValueError(f"{other} and {domain} both get the firewall name {made}")
        names.append(made)
    return names

"""One domain's settings as DNS SRV records (RFC 6186, with RFC 8314's submissions).

Mail clients that look up SRV records (RFC 6186 §3) try these names:

==========================  ===================================================
``_imaps._tcp.<domain>``    IMAP over implicit TLS (RFC 6186 §3.2)
``_imap._tcp.<domain>``     IMAP on the plaintext port, upgraded with STARTTLS
``_submissions._tcp.<domain>``  SMTP submission over implicit TLS (RFC 8314 §5.1)
``_submission._tcp.<domain>``   SMTP submission, upgraded with STARTTLS (RFC 6186 §3.1)
==========================  ===================================================

For each protocol mailctl publishes the one way the domain's settings say to connect,
and marks the other way as *not offered* with the RFC 6186 §4 / RFC 2782 form
``0 0 0 .`` (target "." means "this service is decidedly not available at this
domain"). Stating both matters: a client that finds no record for the implicit-TLS
name goes on to guess, and RFC 8314 §5.1 asks clients to prefer implicit TLS, so
leaving ``_imaps`` unanswered while publishing ``_imap`` would invite guesses at port
993 of hosts that do not serve it.

* ``ssl``: ``_imaps`` / ``_submissions`` point at the server; ``_imap`` /
  ``_submission`` are "not offered".
* ``starttls`` and ``none``: ``_imap`` / ``_submission`` point at the server (RFC 6186
  does not distinguish STARTTLS from plaintext on these names: the client negotiates);
  ``_imaps`` / ``_submissions`` are "not offered". A ``none`` endpoint gets a comment
  saying it is unencrypted.

Priority 0, weight 1 (one server). An SRV target must be a host name (RFC 2782), so an
endpoint whose host is an IP literal gets a comment instead of a record. Owner names
and targets are absolute (trailing dot), so the snippet can be pasted into any zone
file or fed to a tool that takes absolute names.
"""

from __future__ import annotations

import re

from reconciler.desired.model import Domain, Endpoint, Protocol

DEFAULT_TTL = 3600
# (protocol) -> (name for implicit TLS, name for STARTTLS/plaintext)
SERVICES: dict[Protocol, tuple[str, str]] = {
    "imap": ("_imaps._tcp", "_imap._tcp"),
    "smtp": ("_submissions._tcp", "_submission._tcp"),
}
NOT_OFFERED = "0 0 0 ."


def _is_ip(host: str) -> bool:
    # Hosts are normalised (reconciler.desired.names): an IP literal contains ':' (IPv6) or is
    # all digits and dots (IPv4); a name never is, its last label is never numeric.
    return ":" in host or host.replace(".", "").isdigit()


# What a normalised name or address is made of. Anything else (a newline, a ';') would
# write zone lines of its own, so it never reaches a zone file, whatever the store holds.
_ZONE_SAFE = re.compile(r"[A-Za-z0-9.:_-]+")


def _checked(text: str) -> str:
    if not _ZONE_SAFE.fullmatch(text):
        raise ValueError(f"{text!r} is not a normalised host or domain name")
    return text


def _records(domain: str, protocol: Protocol, endpoint: Endpoint, ttl: int) -> list[str]:
    domain, host = _checked(domain), _checked(endpoint.host)
    tls_name, plain_name = SERVICES[protocol]
    offered, refused = (
        (tls_name, plain_name) if endpoint.security == "ssl" else (plain_name, tls_name)
    )
    lines = []
    if _is_ip(host):
        lines.append(
            f"; {protocol} host {host} is an IP address: an SRV target must be a host name, "
            f"so {offered}.{domain}. is not published"
        )
    else:
        if endpoint.security == "none":
            lines.append(f"; {protocol} on {host}:{endpoint.port} is NOT encrypted")
        lines.append(f"{offered}.{domain}. {ttl} IN SRV 0 1 {endpoint.port} {host}.")
    lines.append(f"{refused}.{domain}. {ttl} IN SRV {NOT_OFFERED}")
    return lines


def records(domain: Domain, ttl: int = DEFAULT_TTL) -> list[str]:
    """The zone-file lines for ``domain``: IMAP's two names, then SMTP's."""
    return [
        *_records(domain.name, "imap", domain.imap, ttl),
        *_records(domain.name, "smtp", domain.smtp, ttl),
    ]


def zone_snippet(domain: Domain, ttl: int = DEFAULT_TTL) -> bytes:
    """A zone-file snippet for ``domain`` with a heading comment, ending in a new line."""
    lines = [f"; RFC 6186 / RFC 8314 SRV records for {domain.name}", *records(domain, ttl), ""]
    return "\n".join(lines).encode()

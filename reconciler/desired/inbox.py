"""Inboxes that inherit their domain's settings: address parsing and resolution. Pure.

An inbox is an email address connected to the service. It never holds settings of its
own: the store keeps only the address and the name of its domain, and every read
resolves the inbox through :func:`resolve` against the domain's current settings. So
an apply that changes a domain changes what every one of its inboxes connects with,
which is the product's rule (and why a plan counts inboxes per change).

Addresses are checked against a deliberately small subset of RFC 5321 §4.1.2 and
RFC 6531 (:func:`parse_address`). The domain part is normalised exactly like a domain
under ``domains:`` (lower case, no trailing dot, IDNA A-labels), so an inbox always
finds its domain however the address was typed. The local part is kept as given:
RFC 5321 §2.4 leaves its case to the receiving server, so ``Alice`` and ``alice`` may
be two mailboxes and mailctl must not merge them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.desired import names
from reconciler.desired.model import Domain, Endpoint

_EXAMPLE = "alice@example.com"
MAX_LOCAL_OCTETS = 64  # RFC 5321 §4.5.3.1.1
MAX_ADDRESS_OCTETS = 254  # RFC 5321 §4.5.3.1.3 path limit (256) less the angle brackets

# RFC 5322 atext, plus any non-ASCII character (RFC 6531 UTF-8 local parts). Dots
# separate atoms: never first, last or doubled.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u00a0-\U0010ffff]"
_DOT_ATOM = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*\Z")
# A quoted local part: printable ASCII (space included) or non-ASCII, with " and \
# only as quoted pairs (RFC 5321 Quoted-string).
_QUOTED = re.compile(r'"(?:[ !#-\[\]-~\u00a0-\U0010ffff]|\\[ -~])*"\Z')


def _invisible(char: str) -> bool:
    """White space, or a control, format, private-use or unassigned character: never
    part of a mailbox name a person can read back (U+00A0 and U+200B included)."""
    return char.isspace() or unicodedata.category(char)[0] in "CZ"


class AddressProblem(ValueError):
    """An address is not acceptable. ``hint`` says how to fix it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Address:
    """A checked address: the local part as given, the domain normalised."""

    local: str
    domain: str

    def __str__(self) -> str:
        return f"{self.local}@{self.domain}"


def parse_address(raw: str) -> Address:
    """Check and normalise an email address, or raise :class:`AddressProblem`.

    Accepted (a subset of RFC 5321 §4.1.2, with RFC 6531 UTF-8):

    * ``local@domain``: the *last* ``@`` separates the parts, so an ``@`` inside the
      local part must be quoted (``"a@b"@example.com``);
    * the local part is a dot-atom (letters, digits, ``!#$%&'*+/=?^_`{|}~-`` and
      non-ASCII characters, dot-separated, no leading, trailing or doubled dot) or a
      quoted string; at most 64 octets in UTF-8; no white space or control characters
      outside quotes, and never a control character;
    * the domain part is an email domain as ``names.normalise_domain`` accepts it
      (fully qualified, no IP literal such as ``[192.0.2.1]``: an inbox belongs to a
      configured domain, and domains are names);
    * the whole address is at most 254 octets after normalisation.

    Not accepted, on purpose: comments, source routes and the obsolete syntaxes of
    RFC 5322; display names (``Alice <alice@example.com>``).
    """
    if not raw:
        raise AddressProblem("the address is empty", f"write it as local@domain, e.g. {_EXAMPLE}")
    shown = repr(raw)
    if raw != raw.strip():
        raise AddressProblem(f"address {shown} has leading or trailing white space", "remove it")
    if raw.endswith(">") and "<" in raw:
        raise AddressProblem(
            f"address {shown} has a display name or angle brackets",
            "give the bare address, e.g. alice@example.com",
        )
    local, at, domain_part = raw.rpartition("@")
    if not at:
        raise AddressProblem(
            f"address {shown} has no @", f"write it as local@domain, e.g. {_EXAMPLE}"
        )
    if not local:
        raise AddressProblem(
            f"address {shown} has an empty local part (nothing before the @)",
            f"write it as local@domain, e.g. {_EXAMPLE}",
        )
    _check_local(local, shown)
    try:
        domain = names.normalise_domain(domain_part)
    except names.NameProblem as problem:
        raise AddressProblem(f"address {shown}: {problem.message}", problem.hint) from None
    address = Address(local, domain)
    size = len(str(address).encode())
    if size > MAX_ADDRESS_OCTETS:
        raise AddressProblem(
            f"address {shown} is {size} octets long; SMTP allows at most {MAX_ADDRESS_OCTETS}",
        )
    return address


def _check_local(local: str, shown: str) -> None:
    size = len(local.encode())
    if size > MAX_LOCAL_OCTETS:
        raise AddressProblem(
            f"address {shown}: the local part is {size} octets long; "
            f"SMTP allows at most {MAX_LOCAL_OCTETS}",
        )
    if local.startswith('"'):
        if not _QUOTED.match(local) or any(_invisible(c) for c in local if c != " "):
            raise AddressProblem(
                f"address {shown}: the quoted local part is malformed",
                'inside quotes write " and \\ as \\" and \\\\; control characters are not allowed',
            )
        return
    if any(_invisible(c) for c in local):
        raise AddressProblem(
            f"address {shown}: the local part contains white space or a control character",
            "remove it (or quote the local part, if the mailbox really has a space)",
        )
    if "@" in local:
        raise AddressProblem(
            f"address {shown} has more than one @",
            'an @ in the local part must be quoted, e.g. "a@b"@example.com',
        )
    if not _DOT_ATOM.match(local):
        raise AddressProblem(
            f"address {shown}: the local part {local!r} is not a valid mailbox name",
            "use letters, digits and !#$%&'*+/=?^_`{|}~- separated by single dots "
            "(no leading, trailing or doubled dot), or quote it",
        )


def unicode_address(address: str) -> str:
    """``address`` (local part as given, domain as A-labels) with its domain in Unicode:
    ``alice@xn--bcher-kva.example`` reads ``alice@bücher.example``."""
    local, at, domain = address.rpartition("@")
    return f"{local}{at}{names.to_unicode(domain)}" if at else names.to_unicode(address)


def resolve(domain: str, domains: Mapping[str, Domain]) -> Domain | None:
    """The settings an inbox of ``domain`` inherits right now (None: not configured).

    A lookup, never a copy: this is the one way an inbox gets settings.
    """
    return domains.get(domain)


def _endpoint(endpoint: Endpoint) -> dict[str, Any]:
    return {"host": endpoint.host, "port": endpoint.port, "security": endpoint.security}


def inherited(domain: Domain) -> dict[str, Any]:
    """What an inbox of ``domain`` is pre-populated with, as plain data.

    The credential variable names are left out: they are for mailctl's own live
    checks, not settings an inbox connects with.
    """
    return {
        "imap": _endpoint(domain.imap),
        "smtp": _endpoint(domain.smtp),
        "allow_non_secure_certificate": domain.allow_non_secure_certificate,
        "certificate_sha256": domain.certificate_sha256,
        "use_static_ip_addresses": domain.use_static_ip_addresses,
    }


SECURITY_WORDS = {"ssl": "SSL/TLS", "starttls": "STARTTLS", "none": "none (no encryption)"}


def describe(domain: Domain) -> list[str]:
    """The inherited settings as lines for people."""
    lines = [
        f"IMAP  {domain.imap.host}:{domain.imap.port}  {SECURITY_WORDS[domain.imap.security]}",
        f"SMTP  {domain.smtp.host}:{domain.smtp.port}  {SECURITY_WORDS[domain.smtp.security]}",
        "non-secure (self-signed) certificate: "
        + ("allowed" if domain.allow_non_secure_certificate else "not allowed"),
    ]
    if domain.certificate_sha256:
        lines.append(f"certificate pin (SHA-256): {domain.certificate_sha256}")
    lines.append("static IP addresses: " + ("on" if domain.use_static_ip_addresses else "off"))
    return lines

"""Normalisation and checks of domain names, host names and IP literals.

Pure functions, cached (many domains share a handful of mail hosts). A name is
normalised to the form a resolver would use: lower case, no trailing dot,
internationalised labels as IDNA A-labels (``xn--…``, via the maintained ``idna``
package, UTS #46 mapping, non-transitional). Two spellings of one domain therefore
normalise to the same string, which is what lets the loader spot a domain defined
twice.
"""

from __future__ import annotations

import functools
import ipaddress
import re

import idna

MAX_NAME = 253
MAX_LABEL = 63
_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\Z")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DOTTED_DIGITS = re.compile(r"[0-9.]+\Z")


class NameProblem(ValueError):
    """A name is not acceptable. ``hint`` says how to fix it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _ip_literal(text: str) -> str | None:
    candidate = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    if ":" not in candidate and not _DOTTED_DIGITS.match(candidate):
        return None  # cheap: most names are not addresses, and parsing one raises
    if "%" in candidate:
        # An IPv6 zone (fe80::1%eth0) means something on one machine only, and
        # ipaddress accepts any text after the %, newlines included: never a host.
        raise NameProblem(
            f"{text!r} names an IPv6 zone (%…), which means nothing off this machine",
            "write the address without the %zone, or use a host name",
        )
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def _to_ascii(name: str, raw: str) -> str:
    try:
        return idna.encode(name, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        raise NameProblem(
            f"{raw!r} is not a valid internationalised domain name ({exc})",
            "check the spelling, or write the name in its xn-- (A-label) form",
        ) from None


def to_unicode(name: str) -> str:
    """``name`` (as normalised, A-labels) with its ``xn--`` labels in their Unicode
    spelling, for people to read next to it; ``name`` itself if it cannot be decoded."""
    if "xn--" not in name:
        return name
    try:
        decoded: str = idna.decode(name)
    except (idna.IDNAError, UnicodeError):
        return name
    return decoded


def normalise_name(raw: str, what: str = "domain") -> str:
    """Return the canonical form of a DNS name, or raise :class:`NameProblem`."""
    if not raw or not raw.strip():
        raise NameProblem(f"{what} name is empty")
    if raw != raw.strip():
        raise NameProblem(
            f"{what} name {raw!r} has leading or trailing white space", "remove the spaces"
        )
    name = raw[:-1] if raw.endswith(".") else raw
    if not name.isascii():
        name = _to_ascii(name, raw)
    name = name.lower()
    labels = name.split(".")
    if len(labels) < 2:
        raise NameProblem(
            f"{what} name {raw!r} is not fully qualified",
            "write the full name with at least two labels, for example mail.example.com",
        )
    for label in labels:
        _check_label(label, raw, what)
    if len(name) > MAX_NAME:
        raise NameProblem(
            f"{what} name {raw!r} is {len(name)} characters long; DNS allows at most {MAX_NAME}",
        )
    if labels[-1].isdigit():
        raise NameProblem(
            f"{what} name {raw!r} ends in an all-numeric label, which no top-level domain is",
        )
    return name


def _check_label(label: str, raw: str, what: str) -> None:
    if not label:
        raise NameProblem(
            f"{what} name {raw!r} has an empty label", "remove the doubled or leading dot"
        )
    if len(label) > MAX_LABEL:
        raise NameProblem(
            f"{what} name {raw!r} has a label of {len(label)} characters; "
            f"DNS allows at most {MAX_LABEL}",
        )
    if not _LDH_LABEL.match(label):
        raise NameProblem(
            f"{what} name {raw!r} has an invalid label {label!r}",
            "labels use letters, digits and inner hyphens only (no underscores, spaces "
            "or leading/trailing hyphens)",
        )
    if label.startswith("xn--"):
        try:
            idna.decode(label)
        except idna.IDNAError as exc:
            raise NameProblem(
                f"{what} name {raw!r} has an invalid A-label {label!r} ({exc})",
                "an xn-- label must be the IDNA encoding of a valid name; write the name "
                "in Unicode and mailctl encodes it",
            ) from None


@functools.lru_cache(maxsize=4096)
def normalise_domain(raw: str) -> str:
    """An email domain: a DNS name, never an IP address."""
    if _ip_literal(raw.strip()) is not None:
        raise NameProblem(
            f"email domain {raw!r} is an IP address",
            "an email domain is the part after @ in an address, for example example.com",
        )
    return normalise_name(raw, "domain")


@functools.lru_cache(maxsize=4096)
def normalise_host(raw: str) -> str:
    """A mail server: a DNS name or an IP literal (IPv6 with or without brackets)."""
    literal = _ip_literal(raw)
    if literal is not None:
        return literal
    return normalise_name(raw, "host")


def check_env_name(raw: str) -> str:
    if not _ENV_NAME.match(raw):
        raise NameProblem(
            f"{raw!r} is not an environment variable name",
            "use letters, digits and underscores, not starting with a digit, e.g. MAIL_PASSWORD",
        )
    return raw

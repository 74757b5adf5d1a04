"""The scalar values a domains file may hold, each a pydantic type with its own rule
and message: host names (IDNA-normalised), ports, environment variable names,
certificate fingerprints, CIDR ranges, SHA-256 pins, https:// feed URLs and whole
numbers. Each carries a pattern for editors and other JSON Schema validators; mailctl
itself checks with the rules in ``names``, ``fingerprints`` and ``ranges``, which also do
what a pattern cannot (IDNA, U-label lengths, host bits of a range)."""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from reconciler.desired import fingerprints, names, ranges

# Patterns for editors and other JSON Schema validators. mailctl itself checks names
# with reconciler.desired.names, which also does what a pattern cannot (IDNA, U-label lengths).
_LABEL = r"[A-Za-z0-9\u0080-\uffff](?:[A-Za-z0-9\u0080-\uffff-]{0,61}[A-Za-z0-9\u0080-\uffff])?"
DOMAIN_PATTERN = rf"^(?=.{{1,254}}$)(?!.*\.[0-9]+\.?$){_LABEL}(?:\.{_LABEL})+\.?$"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
_IPV6 = r"\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?"
HOST_PATTERN = rf"^(?:{_IPV4}|{_IPV6})$|{DOMAIN_PATTERN}"
_V4_PREFIX = r"(?:/(?:3[0-2]|[12]?[0-9]))?"
_V6_PREFIX = r"(?:/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?"
CIDR_PATTERN = rf"^(?:{_IPV4}{_V4_PREFIX}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*{_V6_PREFIX})$"
FINGERPRINT_PATTERN = r"^(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){31}|[0-9A-Fa-f]{64})$"
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _custom(kind: str, problem: names.NameProblem) -> PydanticCustomError:
    return PydanticCustomError(kind, problem.message, {"hint": problem.hint})


def _host(value: str) -> str:
    try:
        return names.normalise_host(value)
    except names.NameProblem as problem:
        raise _custom("host", problem) from None


def _env(value: str) -> str:
    try:
        return names.check_env_name(value)
    except names.NameProblem as problem:
        raise _custom("env_name", problem) from None


def _fingerprint(value: str) -> str:
    if not fingerprints.is_sha256(value):
        raise PydanticCustomError(
            "fingerprint",
            "certificate_sha256 must be a SHA-256 fingerprint: 64 hex digits, "
            "optionally in colon-separated pairs",
            {"hint": "mailctl check prints the fingerprint a server presents"},
        )
    return fingerprints.normalise(value)


def _cidr(value: str) -> str:
    try:
        return str(ranges.parse_range(value))
    except ranges.RangeError as problem:
        raise PydanticCustomError(problem.kind, problem.message, {"hint": problem.hint}) from None


def whole_number(value: Any) -> Any:
    """Refuse what only compares equal to an integer (``1.0``, ``true``) before a
    ``Literal`` of integers, which would take it."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    shown = repr(value) if isinstance(value, str) else str(value).lower()
    raise PydanticCustomError(
        "whole_number",
        "must be a whole number written in decimal digits, not {shown}",
        {"shown": shown, "hint": "write it in decimal digits, without quotes or a decimal point"},
    )


HostName = Annotated[str, AfterValidator(_host), Field(json_schema_extra={"pattern": HOST_PATTERN})]
Port = Annotated[int, Field(ge=1, le=65535)]
Fingerprint = Annotated[
    str, AfterValidator(_fingerprint), Field(json_schema_extra={"pattern": FINGERPRINT_PATTERN})
]
EnvName = Annotated[str, AfterValidator(_env), Field(json_schema_extra={"pattern": ENV_PATTERN})]
Cidr = Annotated[str, AfterValidator(_cidr), Field(json_schema_extra={"pattern": CIDR_PATTERN})]


SHA256_PATTERN = r"^[0-9A-Fa-f]{64}$"


def _sha256(value: str) -> str:
    if len(value) != 64 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise PydanticCustomError(
            "sha256",
            f"sha256 must be 64 hex digits, not {value!r}",
            {"hint": "sha256sum FILE prints it (the first word)"},
        )
    return value.lower()


def _https_url(value: str) -> str:
    parts = urllib.parse.urlsplit(value)
    shown = value.replace(parts.netloc, parts.netloc.rpartition("@")[2], 1)
    if parts.scheme != "https" or not parts.netloc:
        raise PydanticCustomError(
            "url",
            f"a feed url must start with https://, not {shown!r}",
            {"hint": "feeds are read over TLS only; for a local copy use path: instead"},
        )
    if "@" in parts.netloc:
        raise PydanticCustomError(
            "url",
            "a feed url must not carry a user name or password",
            {"hint": "published feeds need no login, and secrets never live in this file"},
        )
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or not parts.hostname:
        raise PydanticCustomError(
            "url",
            f"the feed url {shown!r} has no valid host and port",
            {"hint": "write it as https://host/path or https://host:port/path"},
        )
    return value


Sha256 = Annotated[
    str, AfterValidator(_sha256), Field(json_schema_extra={"pattern": SHA256_PATTERN})
]
HttpsUrl = Annotated[
    str, AfterValidator(_https_url), Field(json_schema_extra={"pattern": "^https://.+"})
]
FilterValues = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class StrictModel(BaseModel):
    """A part of a domains file: unknown keys are errors and types are strict."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

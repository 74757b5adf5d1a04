"""TLS contexts for checks, and what a finished handshake tells us."""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from pathlib import Path

# Contexts are built once per process and shared by every check: loading the system
# CA bundle costs 40-50 ms of CPU, more than the rest of a check, and a context is never
# changed after it is made. (A CA file edited while one process runs is not re-read.)


@functools.lru_cache(maxsize=8)
def verifying_context(ca_file: Path | str | None = None) -> ssl.SSLContext:
    """System CAs (or only ``ca_file``), certificate required, host name checked."""
    if ca_file is None:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    else:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@functools.lru_cache(maxsize=1)
def reading_context() -> ssl.SSLContext:
    """No verification: to read a certificate that failed verification, or to talk to
    a server whose domain allows a non-secure certificate (then the pin protects)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Old mail servers are exactly the ones with self-signed certificates.
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@dataclass(frozen=True)
class Handshake:
    """What the TLS layer negotiated and the server's leaf certificate (DER)."""

    version: str | None
    cipher: str | None
    der: bytes | None


def handshake_facts(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> Handshake:
    if ssl_object is None:
        return Handshake(None, None, None)
    cipher = ssl_object.cipher()
    return Handshake(
        version=ssl_object.version(),
        cipher=cipher[0] if cipher else None,
        der=ssl_object.getpeercert(binary_form=True),
    )

"""SHA-256 certificate fingerprints in one written form: ``AB:CD:…`` (32 pairs). Pure."""

from __future__ import annotations

HEX = frozenset("0123456789ABCDEF")


def normalise(value: str) -> str:
    """``value`` (hex, with or without colons, any case) as colon-separated upper-case
    pairs. Validity (64 hex digits) is the caller's to check."""
    digits = value.replace(":", "").strip().upper()
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def is_sha256(value: str) -> bool:
    digits = value.replace(":", "").strip().upper()
    return len(digits) == 64 and set(digits) <= HEX

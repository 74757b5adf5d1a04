"""The certificate, key and chain files that sign configuration profiles, read once
(when a server starts) and checked together, every problem named by its file."""

from __future__ import annotations

from pathlib import Path

from reconciler.autoconfig.mobileconfig import Signer, SigningProblem, signer
from reconciler.errors import InputError, Location

MAX_PEM_BYTES = 1024 * 1024  # a certificate chain is a few kilobytes


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_PEM_BYTES:
            raise InputError.single(
                Location(str(path)),
                f"is {size:,} bytes; PEM files over {MAX_PEM_BYTES:,} bytes are refused",
                "give the certificate or key file itself",
            )
        return path.read_bytes()
    except OSError as exc:
        raise InputError.single(
            Location(str(path)), f"cannot read the file: {exc.strerror}", "check the path"
        ) from None


def load_signer(certificate: Path, key: Path, chain: Path | None = None) -> Signer:
    """The checked signing material of these files, or InputError naming the file
    at fault (unreadable, not PEM, an encrypted key, a key not the certificate's)."""
    files = {"certificate": certificate, "key": key, "chain": chain}
    try:
        return signer(_read(certificate), _read(key), _read(chain) if chain else None)
    except SigningProblem as problem:
        path = files[problem.part]
        raise InputError.single(
            Location(str(path)), f"{problem.part} {problem.message}", problem.hint
        ) from None

"""Checking a signed Apple profile with the openssl command, as a device's trust store
would: the tests of the signer and of the served profile share it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import trustme

VERIFY = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any"]


def verified_by_openssl(
    folder: Path, signed: bytes, ca: trustme.CA
) -> subprocess.CompletedProcess[str]:
    """``openssl cms -verify`` of ``signed`` against ``ca`` alone, run in ``folder``:
    its result, and the embedded content in ``folder / "content.plist"`` when it
    verifies."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "signed.der").write_bytes(signed)
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    return subprocess.run(
        [*VERIFY, "-in", "signed.der", "-CAfile", "ca.pem", "-out", "content.plist"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )

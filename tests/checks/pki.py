"""Throwaway certificates: a trustme CA and leaves for every certificate case."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

GOOD_NAMES = ("imap.test.example", "smtp.test.example")
EXPIRED_ON = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Pair:
    """A certificate and key on disk, and the leaf's SHA-256 fingerprint."""

    cert: Path
    key: Path
    sha256: str


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    good: Pair
    wrong_host: Pair
    expired: Pair
    expiring: Pair
    self_signed: Pair


def _colon_hex(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2))


def write_leaf(leaf: trustme.LeafCert, directory: Path, name: str) -> Pair:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    cert.write_bytes(chain)
    leaf.private_key_pem.write_to_path(str(key))
    der = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes()).public_bytes(
        serialization.Encoding.DER
    )
    return Pair(cert, key, _colon_hex(der))


def _self_signed(directory: Path) -> Pair:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, GOOD_NAMES[0])])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in GOOD_NAMES]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "self-signed.crt", directory / "self-signed.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Pair(cert_path, key_path, _colon_hex(cert.public_bytes(serialization.Encoding.DER)))


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)  # Dovecot reads the files as root; keys stay private to root
    ca = trustme.CA()
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    now = dt.datetime.now(dt.UTC)
    return Pki(
        ca_file=ca_file,
        good=write_leaf(ca.issue_cert(*GOOD_NAMES), directory, "good"),
        wrong_host=write_leaf(ca.issue_cert("mail.other.example"), directory, "wrong-host"),
        expired=write_leaf(
            ca.issue_cert(
                *GOOD_NAMES, not_before=EXPIRED_ON - dt.timedelta(days=365), not_after=EXPIRED_ON
            ),
            directory,
            "expired",
        ),
        expiring=write_leaf(
            ca.issue_cert(*GOOD_NAMES, not_after=now + dt.timedelta(days=10, hours=1)),
            directory,
            "expiring",
        ),
        self_signed=_self_signed(directory),
    )

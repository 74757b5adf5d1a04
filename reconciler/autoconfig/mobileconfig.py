"""One address's settings as an Apple configuration profile (``.mobileconfig``), and
its signature.

The profile is a property list (XML format) of ``PayloadType`` ``Configuration``
holding one ``com.apple.mail.managed`` payload (Apple's "Mail" payload): an IMAP
account for the address, its IMAP server as the incoming and its SMTP submission
server as the outgoing server, both logging in with the address and a password
(``EmailAuthPassword``), the outgoing password the incoming one. No password is ever
in the profile: the device asks for it.

``…UseSSL`` is Apple's only switch for transport security, a boolean ("enables SSL")
with no STARTTLS value: ``ssl`` and ``starttls`` -> true (the client must encrypt;
Mail negotiates STARTTLS on a server that starts in plain text), ``none`` -> false.
``allow_non_secure_certificate`` and a certificate pin have no key here either, as in
the autoconfig file: the device verifies the certificate.

Byte-stable: keys sorted by plistlib, and both identities derived, never random:

* ``PayloadIdentifier`` (``<prefix>.<uuid5 of the address>``): one per address, so a
  profile downloaded again after a change *replaces* the installed one;
* ``PayloadUUID``: a uuid5 of the address, the prefix and the settings, so it
  changes exactly when the profile's content does.

:func:`sign_profile` wraps the bytes into a CMS (PKCS #7) SignedData with the profile
embedded, DER, which is what a device installs as a signed profile.
"""

from __future__ import annotations

import json
import plistlib
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from reconciler.autoconfig.xml_out import display_name
from reconciler.desired.model import Domain, Endpoint

MEDIA_TYPE = "application/x-apple-aspen-config"
DEFAULT_PREFIX = "org.mailctl.autoconfig"
AUTHENTICATION = "EmailAuthPassword"
# uuid5 namespace of every identity below (itself uuid5(NAMESPACE_URL, "mailctl:mobileconfig")).
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "mailctl:mobileconfig")


def _server(direction: str, endpoint: Endpoint, email: str) -> dict[str, Any]:
    return {
        f"{direction}MailServerHostName": endpoint.host,
        f"{direction}MailServerPortNumber": endpoint.port,
        f"{direction}MailServerUseSSL": endpoint.security != "none",
        f"{direction}MailServerUsername": email,
        f"{direction}MailServerAuthentication": AUTHENTICATION,
    }


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, json.dumps(parts, sort_keys=True))).upper()


def render_profile(domain: Domain, email: str, *, identifier_prefix: str = DEFAULT_PREFIX) -> bytes:
    """The unsigned profile for ``email``, an address of ``domain`` (as checked by
    :func:`reconciler.desired.inbox.parse_address`): a pure function of its arguments.
    ValueError if a text cannot be written in a property list (a control character)."""
    shown = display_name(domain.name)
    settings = [domain.imap.model_dump(), domain.smtp.model_dump()]
    identifier = f"{identifier_prefix}.{_uuid('account', email)}"
    mail = {
        "EmailAccountDescription": f"{shown} ({email})",
        "EmailAccountType": "EmailTypeIMAP",
        "EmailAddress": email,
        **_server("Incoming", domain.imap, email),
        **_server("Outgoing", domain.smtp, email),
        "OutgoingPasswordSameAsIncomingPassword": True,
        "PayloadDisplayName": f"Mail: {email}",
        "PayloadIdentifier": f"{identifier}.mail",
        "PayloadType": "com.apple.mail.managed",
        "PayloadUUID": _uuid("mail", email, identifier_prefix, settings),
        "PayloadVersion": 1,
    }
    profile = {
        "PayloadContent": [mail],
        "PayloadDescription": f"The mail settings of {shown} for {email}.",
        "PayloadDisplayName": f"{shown} mail",
        "PayloadIdentifier": identifier,
        "PayloadOrganization": shown,
        "PayloadRemovalDisallowed": False,
        "PayloadType": "Configuration",
        "PayloadUUID": _uuid("profile", email, identifier_prefix, settings),
        "PayloadVersion": 1,
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=True)


Part = Literal["certificate", "key", "chain"]


class SigningProblem(ValueError):
    """The signing material is not usable; ``part`` says which one, ``hint`` the fix."""

    def __init__(self, part: Part, message: str, hint: str) -> None:
        super().__init__(f"{part}: {message}")
        self.part: Part = part
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Signer:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...] = ()


def _public(value: x509.Certificate | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return value.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signer(cert_pem: bytes, key_pem: bytes, chain_pem: bytes | None = None) -> Signer:
    """The certificate, key and chain read from PEM and checked together, or
    :class:`SigningProblem` naming the part: not PEM, an encrypted key, a key of a
    kind CMS signing here does not take (RSA and EC do), a key not the certificate's."""
    try:
        certificate = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        raise SigningProblem(
            "certificate", "is not a PEM certificate", "give the -----BEGIN CERTIFICATE----- file"
        ) from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        raise SigningProblem(
            "key",
            "is encrypted with a passphrase",
            "write it unencrypted (openssl pkey -in KEY -out PLAIN) and protect the file itself",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningProblem(
            "key", "is not a PEM private key", "give the -----BEGIN PRIVATE KEY----- file"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningProblem("key", f"is a {type(key).__name__}", "use an RSA or EC key")
    if _public(key) != _public(certificate):
        raise SigningProblem(
            "key", "does not belong to the certificate", "give the key the certificate was made for"
        )
    chain: list[x509.Certificate] = []
    if chain_pem is not None:
        try:
            chain = x509.load_pem_x509_certificates(chain_pem)
        except ValueError:
            raise SigningProblem(
                "chain", "is not a list of PEM certificates", "give the intermediates, PEM"
            ) from None
    return Signer(certificate, key, tuple(chain))


def sign_profile(
    profile: bytes, cert_pem: bytes, key_pem: bytes, chain_pem: bytes | None = None
) -> bytes:
    """``profile`` signed with the certificate and key (SHA-256), the chain's
    certificates included for the device to build the path: DER CMS SignedData with
    the profile embedded. :class:`SigningProblem` as :func:`signer` says."""
    return sign_with(signer(cert_pem, key_pem, chain_pem), profile)


def sign_with(material: Signer, profile: bytes) -> bytes:
    """``profile`` signed with checked material (see :func:`sign_profile`)."""
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(profile)
        .add_signer(material.certificate, material.key, hashes.SHA256())
    )
    for certificate in material.chain:
        builder = builder.add_certificate(certificate)
    return builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])

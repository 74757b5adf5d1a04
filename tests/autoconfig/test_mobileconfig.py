"""Apple configuration profiles: the plist read back with plistlib, byte-stable
identities, and a CMS signature that OpenSSL verifies against the issuing CA."""

from __future__ import annotations

import plistlib
import shutil
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from reconciler.autoconfig import mobileconfig
from reconciler.autoconfig.mobileconfig import SigningProblem
from reconciler.autoconfig.signing_files import load_signer
from reconciler.errors import InputError
from tests.autoconfig.profile_support import verified_by_openssl
from tests.store.requests import domain

EMAIL = "alice@example.com"


def mail_payload(profile: bytes) -> dict[str, object]:
    outer = plistlib.loads(profile)
    assert (outer["PayloadType"], outer["PayloadVersion"]) == ("Configuration", 1)
    [mail] = outer["PayloadContent"]
    assert (mail["PayloadType"], mail["PayloadVersion"]) == ("com.apple.mail.managed", 1)
    return dict(mail)


@pytest.mark.parametrize(
    ("security", "port", "use_ssl"),
    [("ssl", 993, True), ("starttls", 143, True), ("none", 143, False)],
)
def test_the_profile_reads_back_as_an_imap_account(security: str, port: int, use_ssl: bool) -> None:
    profile = mobileconfig.render_profile(
        domain("example.com", security=security, port=port), EMAIL
    )
    assert profile.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    mail = mail_payload(profile)
    assert {k: v for k, v in mail.items() if not k.startswith("Payload")} == {
        "EmailAccountDescription": f"example.com ({EMAIL})",
        "EmailAccountType": "EmailTypeIMAP",
        "EmailAddress": EMAIL,
        "IncomingMailServerHostName": "imap.example.com",
        "IncomingMailServerPortNumber": port,
        "IncomingMailServerUseSSL": use_ssl,
        "IncomingMailServerUsername": EMAIL,
        "IncomingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingMailServerHostName": "smtp.example.com",
        "OutgoingMailServerPortNumber": 587,
        "OutgoingMailServerUseSSL": True,  # starttls
        "OutgoingMailServerUsername": EMAIL,
        "OutgoingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingPasswordSameAsIncomingPassword": True,
    }  # exactly these: no IncomingPassword or OutgoingPassword, the device asks
    outer = plistlib.loads(profile)
    assert (outer["PayloadOrganization"], outer["PayloadDisplayName"]) == (
        "example.com",
        "example.com mail",
    )


def test_identities_are_derived_not_random() -> None:
    first = mobileconfig.render_profile(domain("example.com"), EMAIL)
    assert first == mobileconfig.render_profile(domain("example.com"), EMAIL)
    changed = mobileconfig.render_profile(domain("example.com", port=994), EMAIL)
    other = mobileconfig.render_profile(domain("example.com"), "bob@example.com")
    a, b, c = (plistlib.loads(p) for p in (first, changed, other))
    # A changed profile replaces the installed one (same identifier, new UUID) ...
    assert a["PayloadIdentifier"] == b["PayloadIdentifier"]
    assert a["PayloadUUID"] != b["PayloadUUID"]
    assert a["PayloadContent"][0]["PayloadUUID"] != b["PayloadContent"][0]["PayloadUUID"]
    # ... and another address is another profile.
    assert a["PayloadIdentifier"] != c["PayloadIdentifier"]
    assert a["PayloadIdentifier"].startswith(mobileconfig.DEFAULT_PREFIX + ".")
    mine = mobileconfig.render_profile(domain("example.com"), EMAIL, identifier_prefix="com.corp")
    assert plistlib.loads(mine)["PayloadIdentifier"].startswith("com.corp.")


def test_texts_are_escaped_and_internationalised_names_shown_in_unicode() -> None:
    email = "a&b<c@xn--bcher-kva.example"
    profile = mobileconfig.render_profile(domain("xn--bcher-kva.example"), email)
    assert b"a&amp;b&lt;c@" in profile
    assert mail_payload(profile)["EmailAddress"] == email
    assert plistlib.loads(profile)["PayloadOrganization"] == "bücher.example"
    with pytest.raises(ValueError):
        mobileconfig.render_profile(domain("example.com"), "a\x01@example.com")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def issued(ca: trustme.CA) -> trustme.LeafCert:
    """A signing certificate issued by an intermediate of ``ca``."""
    return ca.create_child_ca().issue_cert("profiles@example.com", common_name="Example profiles")


def pems(leaf: trustme.LeafCert) -> tuple[bytes, bytes, bytes]:
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems[1:])
    return leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes(), chain


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_signed_profile_verifies_against_its_ca(
    ca: trustme.CA, issued: trustme.LeafCert, tmp_path: Path
) -> None:
    profile = mobileconfig.render_profile(domain("example.com"), EMAIL)
    signed = mobileconfig.sign_profile(profile, *pems(issued))
    verified = verified_by_openssl(tmp_path, signed, ca)
    assert verified.returncode == 0, verified.stderr
    assert "Verification successful" in verified.stderr
    assert (tmp_path / "content.plist").read_bytes() == profile  # embedded, unchanged
    # Another CA does not vouch for it.
    forged = verified_by_openssl(tmp_path / "other", signed, trustme.CA())
    assert forged.returncode != 0


def test_the_signature_carries_the_signer_and_its_chain(issued: trustme.LeafCert) -> None:
    cert, key, chain = pems(issued)
    signed = mobileconfig.sign_profile(b"<plist/>", cert, key, chain)
    carried = {
        c.public_bytes(serialization.Encoding.PEM)
        for c in pkcs7.load_der_pkcs7_certificates(signed)
    }
    assert carried == {cert, chain}
    rsa_leaf = trustme.CA(key_type=trustme.KeyType.RSA).issue_cert(
        "p.example", key_type=trustme.KeyType.RSA
    )
    assert pkcs7.load_der_pkcs7_certificates(mobileconfig.sign_profile(b"x", *pems(rsa_leaf)[:2]))


def test_unusable_signing_material_is_refused_by_part(issued: trustme.LeafCert) -> None:
    cert, key, _ = pems(issued)
    other_key = trustme.CA().issue_cert("x.example").private_key_pem.bytes()
    encrypted = serialization.load_pem_private_key(key, None).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    cases = [
        ((b"not a certificate", key, None), "certificate", "not a PEM certificate"),
        ((key, key, None), "certificate", "not a PEM certificate"),
        ((cert, b"garbage", None), "key", "not a PEM private key"),
        ((cert, other_key, None), "key", "does not belong to the certificate"),
        ((cert, encrypted, None), "key", "encrypted"),
        ((cert, key, b"-----BEGIN CERTIFICATE-----\nbad\n"), "chain", "not a list"),
    ]
    for args, part, message in cases:
        with pytest.raises(SigningProblem, match=message) as caught:
            mobileconfig.sign_profile(b"x", *args)
        assert caught.value.part == part


def test_signing_files_are_named_in_errors(issued: trustme.LeafCert, tmp_path: Path) -> None:
    cert, key, chain = pems(issued)
    paths = {}
    for name, data in {"cert.pem": cert, "key.pem": key, "chain.pem": chain}.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    material = load_signer(paths["cert.pem"], paths["key.pem"], paths["chain.pem"])
    assert len(material.chain) == 1
    wrong = tmp_path / "wrong-key.pem"
    wrong.write_bytes(trustme.CA().issue_cert("x.example").private_key_pem.bytes())
    with pytest.raises(InputError, match=f"{wrong}: error: key does not belong"):
        load_signer(paths["cert.pem"], wrong)
    with pytest.raises(InputError, match=f"{paths['key.pem']}: error: certificate is not"):
        load_signer(paths["key.pem"], paths["key.pem"])
    missing = tmp_path / "missing.pem"
    with pytest.raises(InputError, match=f"{missing}: error: cannot read the file"):
        load_signer(paths["cert.pem"], paths["key.pem"], missing)

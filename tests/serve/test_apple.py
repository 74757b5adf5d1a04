"""Apple configuration profiles over HTTP, in process on both backends: the profile
reads back with plistlib, any local part gets one, a signed one verifies against its
CA, and the signing files are checked before the server starts."""

from __future__ import annotations

import asyncio
import plistlib
import shutil
from pathlib import Path

import pytest
import trustme

from reconciler.autoconfig.signing_files import load_signer
from reconciler.errors import InputError
from reconciler.serve import apple
from reconciler.serve.run import ServeOptions, check_wiring
from tests.autoconfig.profile_support import verified_by_openssl
from tests.serve.client_support import client, get_all, served

MEDIA_TYPE = "application/x-apple-aspen-config"


def mail_payload(profile: bytes) -> dict[str, object]:
    document = plistlib.loads(profile)
    assert document["PayloadType"] == "Configuration"
    (payload,) = document["PayloadContent"]
    assert payload["PayloadType"] == "com.apple.mail.managed"
    return dict(payload)


def test_any_address_of_a_served_domain_gets_its_profile(store_url: str) -> None:
    known, anyone, idn = get_all(
        store_url,
        "/mobileconfig?emailaddress=alice@example.com",
        "/mobileconfig?emailaddress=nobody-known@example.com",
        "/mobileconfig?emailaddress=bob@B%C3%BCcher.example",
    )
    for answer in (known, anyone, idn):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == MEDIA_TYPE
        assert answer.headers["cache-control"] == "no-store"
    assert known.headers["content-disposition"] == 'attachment; filename="example.com.mobileconfig"'
    assert idn.headers["content-disposition"] == (
        'attachment; filename="xn--bcher-kva.example.mobileconfig"'
    )
    payload = mail_payload(known.content)
    assert payload["EmailAddress"] == "alice@example.com"
    assert payload["IncomingMailServerHostName"] == "imap.example.com"
    assert payload["IncomingMailServerPortNumber"] == 993
    assert payload["OutgoingMailServerHostName"] == "smtp.example.com"
    assert mail_payload(anyone.content)["EmailAddress"] == "nobody-known@example.com"
    assert not any(
        "Password" in key and key != "OutgoingPasswordSameAsIncomingPassword" for key in payload
    )


def test_unknown_domains_and_bad_addresses_are_refused_without_echo(store_url: str) -> None:
    unknown, bad, missing = get_all(
        store_url,
        "/mobileconfig?emailaddress=alice@nowhere.example",
        "/mobileconfig?emailaddress=%3Cscript%3E",
        "/mobileconfig",
    )
    assert unknown.status_code == 404 and "nowhere" not in unknown.text
    assert bad.status_code == missing.status_code == 400 and "script" not in bad.text


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def issued(ca: trustme.CA) -> trustme.LeafCert:
    return ca.create_child_ca().issue_cert("profiles@example.com", common_name="Example profiles")


def signing_files(leaf: trustme.LeafCert, folder: Path) -> tuple[Path, Path, Path]:
    cert, key, chain = folder / "cert.pem", folder / "key.pem", folder / "chain.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems[1:]))
    return cert, key, chain


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_signed_profile_verifies_and_holds_the_plain_one(
    store_url: str, ca: trustme.CA, issued: trustme.LeafCert, tmp_path: Path
) -> None:
    signer = load_signer(*signing_files(issued, tmp_path))
    app, _, _ = served(store_url, routers=(apple.router(signer),))
    plain_app, _, _ = served(store_url, routers=(apple.router(None),))
    path = "/mobileconfig?emailaddress=alice@example.com"

    async def both() -> tuple[bytes, bytes]:
        async with client(app) as c, client(plain_app) as p:
            return (await c.get(path)).content, (await p.get(path)).content

    signed, plain = asyncio.run(both())
    verified = verified_by_openssl(tmp_path, signed, ca)
    assert verified.returncode == 0, verified.stderr
    assert (tmp_path / "content.plist").read_bytes() == plain
    assert mail_payload(plain)["EmailAddress"] == "alice@example.com"


def test_the_signing_files_are_checked_before_the_server_starts(
    issued: trustme.LeafCert, tmp_path: Path
) -> None:
    cert, key, chain = signing_files(issued, tmp_path)
    wrong = tmp_path / "wrong-key.pem"
    trustme.CA().issue_cert("x.example").private_key_pem.write_to_path(str(wrong))
    wiring = check_wiring(ServeOptions(sign_cert=cert, sign_key=key, sign_chain=chain), {})
    assert wiring == {
        apple.ENV_SIGN_CERT: str(cert),
        apple.ENV_SIGN_KEY: str(key),
        apple.ENV_SIGN_CHAIN: str(chain),
    }
    assert apple.signer_from(wiring) is not None
    with pytest.raises(InputError) as refused:
        check_wiring(ServeOptions(sign_cert=cert, sign_key=wrong), {})
    assert str(wrong) in str(refused.value) and "BEGIN" not in str(refused.value)
    with pytest.raises(InputError) as missing:
        check_wiring(ServeOptions(sign_cert=cert), {})
    assert "--sign-key" in str(missing.value)
    with pytest.raises(InputError) as absent:
        check_wiring(ServeOptions(sign_cert=cert, sign_key=tmp_path / "none.pem"), {})
    assert "none.pem" in str(absent.value)

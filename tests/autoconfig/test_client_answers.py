"""The answers a settings server gives Outlook and Apple devices, through the use case:
status, body and media type, for served and unknown domains and for hostile input."""

from __future__ import annotations

import plistlib

import trustme
from cryptography.hazmat.primitives.serialization import pkcs7

from reconciler.app.autoconfig import autodiscover_answer, profile_answer
from reconciler.autoconfig import autodiscover
from reconciler.autoconfig.autodiscover import MAX_REQUEST_BYTES, ErrorCode
from reconciler.autoconfig.mobileconfig import signer
from tests.autoconfig.autodiscover_support import HOSTILE, MOBILESYNC, request
from tests.store.requests import domain

DOMAINS = {"example.com": domain("example.com"), "example.org": domain("example.org")}
XML = "text/xml; charset=utf-8"


def test_any_address_of_a_served_domain_gets_its_settings() -> None:
    for email in ("alice@example.com", "nobody-at-all@EXAMPLE.com"):
        answer = autodiscover_answer(DOMAINS, request(email))
        normalised = email.replace("EXAMPLE", "example")
        assert (answer.status, answer.media_type) == (200, XML)
        assert answer.body == autodiscover.render_response(DOMAINS["example.com"], normalised)


def test_an_unknown_domain_or_schema_is_a_protocol_error() -> None:
    unknown = autodiscover_answer(DOMAINS, request("alice@example.net"))
    assert (unknown.status, unknown.body) == (200, autodiscover.render_error(ErrorCode.NOT_FOUND))
    schema = autodiscover_answer(DOMAINS, request(schema=MOBILESYNC))
    assert (schema.status, schema.body) == (
        200,
        autodiscover.render_error(ErrorCode.SCHEMA_NOT_SERVED),
    )


def test_hostile_and_oversized_requests_are_client_errors() -> None:
    invalid = autodiscover.render_error(ErrorCode.INVALID_REQUEST)
    for body in HOSTILE.values():
        answer = autodiscover_answer(DOMAINS, body)
        assert (answer.status, answer.body, answer.media_type) == (400, invalid, XML)
    big = autodiscover_answer(DOMAINS, request() + b" " * MAX_REQUEST_BYTES)
    assert (big.status, big.body) == (413, invalid)


def test_a_profile_for_an_address_plain_or_signed() -> None:
    plain = profile_answer(DOMAINS, "alice@Example.org")
    assert (plain.status, plain.media_type) == (200, "application/x-apple-aspen-config")
    assert plistlib.loads(plain.body)["PayloadContent"][0]["EmailAddress"] == "alice@example.org"
    leaf = trustme.CA().issue_cert("profiles.example")
    material = signer(leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes())
    signed = profile_answer(DOMAINS, "alice@example.org", signer=material)
    assert signed.status == 200
    assert signed.body[:1] == b"\x30"  # DER SEQUENCE: a CMS ContentInfo, not a plist
    assert plain.body in signed.body  # embedded as is
    assert pkcs7.load_der_pkcs7_certificates(signed.body) == [material.certificate]


def test_a_bad_address_or_unknown_domain_gets_no_profile() -> None:
    bad = profile_answer(DOMAINS, "alice\r\n@example.org")
    assert (bad.status, bad.media_type) == (400, "text/plain; charset=utf-8")
    assert b"white space" in bad.body
    unknown = profile_answer(DOMAINS, "alice@example.net")
    assert (unknown.status, unknown.body) == (404, b"domain example.net is not served here\n")

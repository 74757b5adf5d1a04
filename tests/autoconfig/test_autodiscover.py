"""Autodiscover (MS-OXDSCLI POX): requests read defensively, answers written with the
protocol's element names and values."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from reconciler.autoconfig import autodiscover
from reconciler.autoconfig.autodiscover import (
    MAX_REQUEST_BYTES,
    OUTLOOK_NS,
    REQUEST_NS,
    RESPONSE_NS,
    ErrorCode,
    RequestRefused,
)
from tests.autoconfig.autodiscover_support import HOSTILE, MOBILESYNC, request
from tests.store.requests import domain


def refused(body: bytes) -> RequestRefused:
    with pytest.raises(RequestRefused) as caught:
        autodiscover.parse_request(body)
    return caught.value


def test_a_request_gives_its_address_normalised() -> None:
    assert autodiscover.parse_request(request()) == "alice@example.com"
    assert autodiscover.parse_request(request("Alice@Bücher.Example")) == (
        "Alice@xn--bcher-kva.example"
    )
    # What Outlook sends also carries a LegacyDN; elements the reader does not know
    # are ignored, white space around the address is XML layout.
    body = request("\n      bob@example.com\n    ").replace(
        b"<Request>", b"<Request><LegacyDN>/o=x</LegacyDN><Unknown/>"
    )
    assert autodiscover.parse_request(body) == "bob@example.com"


def test_a_prefixed_namespace_is_the_same_request() -> None:
    body = (
        f'<a:Autodiscover xmlns:a="{REQUEST_NS}"><a:Request>'
        "<a:EMailAddress>alice@example.com</a:EMailAddress>"
        f"<a:AcceptableResponseSchema>{OUTLOOK_NS}</a:AcceptableResponseSchema>"
        "</a:Request></a:Autodiscover>"
    ).encode()
    assert autodiscover.parse_request(body) == "alice@example.com"


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_or_malformed_bodies_are_invalid_requests(body: bytes) -> None:
    error = refused(body)
    assert error.code == ErrorCode.INVALID_REQUEST
    assert "autodiscover request" in str(error)


def test_a_dtd_is_refused_where_it_stands() -> None:
    error = refused(HOSTILE["internal DTD subset"])
    assert "document type declaration" in error.diagnostics[0].message
    assert error.diagnostics[0].location.line == 1


def test_an_oversized_body_is_refused_before_it_is_parsed() -> None:
    padded = request() + b" " * (MAX_REQUEST_BYTES - len(request()))
    assert autodiscover.parse_request(padded) == "alice@example.com"
    error = refused(padded + b" ")
    assert (error.code, error.too_big) == (ErrorCode.INVALID_REQUEST, True)
    assert f"{MAX_REQUEST_BYTES + 1:,} bytes" in str(error)
    # Garbage past the cap is never handed to the parser (it would say "malformed").
    assert "malformed" not in str(refused(b"<" * (MAX_REQUEST_BYTES + 1)))


WRONG = {
    "other namespace": request(ns="http://example.com/not-autodiscover"),
    "no namespace": request().replace(f' xmlns="{REQUEST_NS}"'.encode(), b""),
    "response document": request(ns=RESPONSE_NS),
    "undeclared prefix": request().replace(b"<Request>", b"<x:Request>"),
}


@pytest.mark.parametrize("body", WRONG.values(), ids=WRONG.keys())
def test_a_document_that_is_no_autodiscover_request_is_invalid(body: bytes) -> None:
    assert refused(body).code == ErrorCode.INVALID_REQUEST


def test_address_and_schema_must_be_there_once() -> None:
    no_address = request().replace(b"<EMailAddress>alice@example.com</EMailAddress>", b"")
    assert "no <EMailAddress>" in str(refused(no_address))
    two = request().replace(b"<Request>", b"<Request><EMailAddress>b@example.com</EMailAddress>")
    assert "2 <EMailAddress>" in str(refused(two))
    no_schema = request().replace(f"<AcceptableResponseSchema>{OUTLOOK_NS}".encode(), b"<X>")
    no_schema = no_schema.replace(b"</AcceptableResponseSchema>", b"</X>")
    assert refused(no_schema).code == ErrorCode.INVALID_REQUEST


@pytest.mark.parametrize(
    "address",
    [
        "",
        "alice",
        "alice@",
        "alice@example.com&#13;&#10;bcc@example.net",
        "ali&#13;&#10;ce@example.com",
        "alice\r\nbcc@example.com",
        "&lt;alice@example.com&gt;",
        "Alice &lt;alice@example.com&gt;",
        "alice@[192.0.2.1]",
        "alice@example..com",
        "a" * 65 + "@example.com",
    ],
)
def test_an_invalid_address_is_an_invalid_request(address: str) -> None:
    error = refused(request(address))
    assert error.code == ErrorCode.INVALID_REQUEST
    where = error.diagnostics[0].location
    assert (where.line, where.column) == (4, 5)  # the EMailAddress element


@pytest.mark.parametrize(
    "body",
    [
        request().decode().replace("alice", "al\u00efce").encode("latin-1"),
        request().replace(b'encoding="utf-8"', b'encoding="ISO-8859-1"'),
        request().decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16"),
    ],
    ids=["latin-1 bytes", "declared latin-1", "utf-16"],
)
def test_only_utf8_is_read(body: bytes) -> None:
    assert refused(body).code == ErrorCode.INVALID_REQUEST


def test_another_response_schema_is_not_served() -> None:
    error = refused(request(schema=MOBILESYNC))
    assert error.code == ErrorCode.SCHEMA_NOT_SERVED
    assert MOBILESYNC in str(error)


# The elements of an Outlook-schema answer, [MS-OXDSCLI] §2.2.4.1: for each, its parent.
PARENTS = {
    f"{{{RESPONSE_NS}}}Autodiscover": None,
    f"{{{OUTLOOK_NS}}}Response": f"{{{RESPONSE_NS}}}Autodiscover",
    f"{{{OUTLOOK_NS}}}Account": f"{{{OUTLOOK_NS}}}Response",
    f"{{{OUTLOOK_NS}}}Error": f"{{{OUTLOOK_NS}}}Response",
    **{
        f"{{{OUTLOOK_NS}}}{name}": f"{{{OUTLOOK_NS}}}Account"
        for name in ("AccountType", "Action", "Protocol")
    },
    **{
        f"{{{OUTLOOK_NS}}}{name}": f"{{{OUTLOOK_NS}}}Protocol"
        for name in (
            "Type",
            "Server",
            "Port",
            "LoginName",
            "DomainRequired",
            "SPA",
            "SSL",
            "Encryption",
            "AuthRequired",
        )
    },
    **{
        f"{{{OUTLOOK_NS}}}{name}": f"{{{OUTLOOK_NS}}}Error"
        for name in ("ErrorCode", "Message", "DebugData")
    },
}
ON_OFF = ("DomainRequired", "SPA", "SSL", "AuthRequired")
ENCRYPTION = ("None", "SSL", "TLS", "Auto")


def checked(document: bytes) -> ET.Element:
    """``document`` parsed, every element a protocol element under its parent."""
    root = ET.fromstring(document)
    assert root.tag == f"{{{RESPONSE_NS}}}Autodiscover"
    for parent in root.iter():
        for child in parent:
            assert PARENTS.get(child.tag) == parent.tag, child.tag
    return root


def protocols(root: ET.Element) -> dict[str, dict[str, str]]:
    ns = {"o": OUTLOOK_NS}
    found = {}
    for protocol in root.iterfind("o:Response/o:Account/o:Protocol", ns):
        values = {child.tag.split("}")[1]: child.text or "" for child in protocol}
        found[values["Type"]] = values
    return found


@pytest.mark.parametrize(
    ("security", "port", "ssl", "encryption"),
    [("ssl", 993, "on", "SSL"), ("starttls", 143, "on", "TLS"), ("none", 143, "off", "None")],
)
def test_the_answer_uses_the_protocol_names_and_values(
    security: str, port: int, ssl: str, encryption: str
) -> None:
    answer = autodiscover.render_response(
        domain("example.com", security=security, port=port), "alice@example.com"
    )
    root = checked(answer)
    account = root.find(f"{{{OUTLOOK_NS}}}Response/{{{OUTLOOK_NS}}}Account")
    assert account is not None
    assert [account.findtext(f"{{{OUTLOOK_NS}}}{n}") for n in ("AccountType", "Action")] == [
        "email",
        "settings",
    ]
    found = protocols(root)
    assert list(found) == ["IMAP", "SMTP"]
    imap, smtp = found["IMAP"], found["SMTP"]
    assert (imap["Server"], imap["Port"], imap["SSL"], imap["Encryption"]) == (
        "imap.example.com",
        str(port),
        ssl,
        encryption,
    )
    assert (smtp["Server"], smtp["Port"], smtp["SSL"], smtp["Encryption"]) == (
        "smtp.example.com",
        "587",
        "on",
        "TLS",
    )
    for values in found.values():
        assert values["LoginName"] == "alice@example.com"
        assert (values["DomainRequired"], values["SPA"], values["AuthRequired"]) == (
            "off",
            "off",
            "on",
        )
        assert all(values[name] in ("on", "off") for name in ON_OFF)
        assert values["Encryption"] in ENCRYPTION


def test_the_answer_is_escaped_and_byte_stable() -> None:
    email = '"a<b&c"@example.com'
    first = autodiscover.render_response(domain("example.com"), email)
    assert first == autodiscover.render_response(domain("example.com"), email)
    assert b"&lt;b&amp;c" in first
    assert {p["LoginName"] for p in protocols(checked(first)).values()} == {email}
    with pytest.raises(ValueError, match="cannot be written in XML"):
        autodiscover.render_response(domain("example.com"), "a\x01b@example.com")


@pytest.mark.parametrize("code", list(ErrorCode))
def test_errors_use_the_protocol_error_element(code: ErrorCode) -> None:
    document = autodiscover.render_error(code)
    root = checked(document)
    error = root.find(f"{{{OUTLOOK_NS}}}Response/{{{OUTLOOK_NS}}}Error")
    assert error is not None
    assert error.findtext(f"{{{OUTLOOK_NS}}}ErrorCode") == str(int(code))
    assert error.findtext(f"{{{OUTLOOK_NS}}}Message") == code.message
    assert document == autodiscover.render_error(code)
    assert [int(c) for c in ErrorCode] == [500, 600, 601]

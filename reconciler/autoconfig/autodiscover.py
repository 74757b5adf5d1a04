"""Microsoft Autodiscover, the plain-old-XML ("POX") protocol of [MS-OXDSCLI] that
Outlook posts to ``/autodiscover/autodiscover.xml``: the request read, the answer written.

The request is untrusted input from anyone on the Internet, so it is read with the
hardened reader of :mod:`.xmltree` (no DTD, no entity, bounded) behind a much smaller
size cap (:data:`MAX_REQUEST_BYTES`: a real request is about 400 bytes), must be UTF-8,
and must be exactly what [MS-OXDSCLI] §2.2.3 describes: ``Autodiscover`` / ``Request``
in the request schema's namespace, one ``EMailAddress`` that is an address
(:func:`reconciler.desired.inbox.parse_address`), one ``AcceptableResponseSchema``
naming the Outlook response schema ``…/outlook/responseschema/2006a`` (the only one
served: the mobilesync schema is Exchange ActiveSync, which mailctl does not describe).
``LegacyDN`` and elements a later client may add are ignored.

The answer ([MS-OXDSCLI] §2.2.4) is ``Autodiscover`` (``…/responseschema/2006``) /
``Response`` (``…/outlook/responseschema/2006a``) / ``Account`` with ``AccountType``
``email``, ``Action`` ``settings`` and one ``Protocol`` per server, IMAP then SMTP:

* ``Type`` ``IMAP`` or ``SMTP``; ``Server``, ``Port`` as stored;
* ``LoginName`` the address, ``DomainRequired`` off, ``SPA`` off (no NTLM: a plain
  password, as the autoconfig file says), ``AuthRequired`` on;
* ``SSL`` and ``Encryption``: ``ssl`` -> on / ``SSL``; ``starttls`` -> on / ``TLS``;
  ``none`` -> off / ``None``. ``Encryption`` overrides ``SSL`` where a client knows it
  (Outlook 2010 and later); ``SSL`` stays for older clients, which read "on" as
  "encrypt", the only way they can say STARTTLS.

Errors use the protocol's ``Error`` element under ``Response`` with an [MS-OXDSCLI]
``ErrorCode``: 500 (the address cannot be found: a domain mailctl does not serve), 600
(invalid request), 601 (the requested response schema is not served). Its optional
``Time`` and ``Id`` attributes are left out so that every answer is byte-stable.

Written by hand (like :mod:`.xml_out`), text escaped with the same function.
"""

from __future__ import annotations

import re
from enum import IntEnum
from xml.sax.saxutils import escape

from reconciler.autoconfig import xmltree
from reconciler.autoconfig.xmltree import Element
from reconciler.desired.inbox import AddressProblem, parse_address
from reconciler.desired.model import Domain, Endpoint, Security
from reconciler.errors import Diagnostic, InputError, Location

REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
OUTLOOK_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
MAX_REQUEST_BYTES = 16 * 1024
SOURCE = "autodiscover request"

# Per security: (SSL, Encryption).
PROTECTION: dict[Security, tuple[str, str]] = {
    "ssl": ("on", "SSL"),
    "starttls": ("on", "TLS"),
    "none": ("off", "None"),
}

_DECLARED_ENCODING = re.compile(rb"""\A<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_QName = tuple[str, str]  # (namespace, local name)


class ErrorCode(IntEnum):
    """The [MS-OXDSCLI] ``ErrorCode`` values mailctl answers with, and their messages."""

    NOT_FOUND = 500
    INVALID_REQUEST = 600
    SCHEMA_NOT_SERVED = 601

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    ErrorCode.NOT_FOUND: "The email address cannot be found.",
    ErrorCode.INVALID_REQUEST: "Invalid Request",
    ErrorCode.SCHEMA_NOT_SERVED: "The requested response schema is not available.",
}


class RequestRefused(InputError):
    """An Autodiscover request that cannot be answered with settings; ``code`` is the
    ``ErrorCode`` to answer with, ``too_big`` marks a body over the size cap."""

    def __init__(
        self, diagnostics: list[Diagnostic], code: ErrorCode, too_big: bool = False
    ) -> None:
        super().__init__(diagnostics)
        self.code = code
        self.too_big = too_big


def _refuse(
    message: str,
    hint: str,
    at: Element | None = None,
    code: ErrorCode = ErrorCode.INVALID_REQUEST,
) -> RequestRefused:
    where = at.location(SOURCE) if at is not None else Location(SOURCE)
    return RequestRefused([Diagnostic(where, message, hint)], code)


def _scope(element: Element, outer: dict[str, str]) -> dict[str, str]:
    declared = {**outer}
    for name, value in element.attrs.items():
        if name == "xmlns":
            declared[""] = value
        elif name.startswith("xmlns:"):
            declared[name[6:]] = value
    return declared


def _qname(element: Element, scope: dict[str, str]) -> _QName:
    prefix, _, local = element.tag.rpartition(":")
    if prefix not in scope and prefix:
        raise _refuse(f"namespace prefix {prefix!r} is not declared", "declare it", element)
    return scope.get(prefix, ""), local


def _only(parent: Element, scope: dict[str, str], name: str) -> tuple[Element, dict[str, str]]:
    found = []
    for child in parent.children:
        inner = _scope(child, scope)
        if _qname(child, inner) == (REQUEST_NS, name):
            found.append((child, inner))
    if len(found) != 1:
        count = "no" if not found else str(len(found))
        raise _refuse(f"{count} <{name}> element in <{parent.tag}>", f"send one {name}", parent)
    return found[0]


def _utf8(body: bytes) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(
            f"the body is not UTF-8 (byte {exc.start + 1} is {body[exc.start]:#04x})",
            "send the request as UTF-8",
        ) from None
    declared = _DECLARED_ENCODING.match(body)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii"):
        shown = declared.group(1).decode("ascii", "replace")
        raise _refuse(f"the XML declaration names encoding {shown!r}", "send it as UTF-8")


def parse_request(body: bytes) -> str:
    """The address an Autodiscover request asks about, checked and normalised (domain
    in lower-case A-labels, local part as given), or :class:`RequestRefused`."""
    if len(body) > MAX_REQUEST_BYTES:
        refused = _refuse(
            f"the body is {len(body):,} bytes; at most {MAX_REQUEST_BYTES:,} are read",
            "an Autodiscover request is a few hundred bytes",
        )
        refused.too_big = True
        raise refused
    _utf8(body)
    try:
        root = xmltree.parse(body, SOURCE)
    except InputError as error:
        raise RequestRefused(error.diagnostics, ErrorCode.INVALID_REQUEST) from None
    scope = _scope(root, {})
    if _qname(root, scope) != (REQUEST_NS, "Autodiscover"):
        ns, local = _qname(root, scope)
        raise _refuse(
            f"the root element is {{{ns}}}{local}, not an Autodiscover request",
            f"send <Autodiscover xmlns={REQUEST_NS!r}>",
            root,
        )
    request, scope = _only(root, scope, "Request")
    schema, _ = _only(request, scope, "AcceptableResponseSchema")
    if schema.text != OUTLOOK_NS:
        raise _refuse(
            f"response schema {schema.text!r} is not served",
            f"ask for {OUTLOOK_NS}",
            schema,
            ErrorCode.SCHEMA_NOT_SERVED,
        )
    address, _ = _only(request, scope, "EMailAddress")
    try:
        return str(parse_address(address.text))
    except AddressProblem as problem:
        raise _refuse(problem.message, problem.hint, address) from None


def _text(value: str) -> str:
    """``value`` escaped for XML text; a character XML 1.0 cannot carry is a bug of the
    caller (addresses and host names are checked long before), never written."""
    if any(ord(c) < 0x20 and c not in "\t\n\r" for c in value) or "\ufffe" in value:
        raise ValueError(f"{value!r} cannot be written in XML")
    return escape(value)


def _protocol(kind: str, endpoint: Endpoint, login: str) -> list[str]:
    ssl, encryption = PROTECTION[endpoint.security]
    return [
        "      <Protocol>",
        f"        <Type>{kind}</Type>",
        f"        <Server>{_text(endpoint.host)}</Server>",
        f"        <Port>{endpoint.port}</Port>",
        f"        <LoginName>{login}</LoginName>",
        "        <DomainRequired>off</DomainRequired>",
        "        <SPA>off</SPA>",
        f"        <SSL>{ssl}</SSL>",
        f"        <Encryption>{encryption}</Encryption>",
        "        <AuthRequired>on</AuthRequired>",
        "      </Protocol>",
    ]


def _document(inner: list[str]) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<Autodiscover xmlns="{RESPONSE_NS}">',
        f'  <Response xmlns="{OUTLOOK_NS}">',
        *inner,
        "  </Response>",
        "</Autodiscover>",
        "",
    ]
    return "\n".join(lines).encode()


def render_response(domain: Domain, email: str) -> bytes:
    """The settings answer for ``email`` (an address of ``domain``, as
    :func:`parse_request` returned it): UTF-8, a pure function of its arguments."""
    login = _text(email)
    return _document(
        [
            "    <Account>",
            "      <AccountType>email</AccountType>",
            "      <Action>settings</Action>",
            *_protocol("IMAP", domain.imap, login),
            *_protocol("SMTP", domain.smtp, login),
            "    </Account>",
        ]
    )


def render_error(code: ErrorCode) -> bytes:
    """The error answer with ``code`` and its fixed message: the same bytes for every
    request, so an answer tells nothing about the request beyond the code."""
    return _document(
        [
            "    <Error>",
            f"      <ErrorCode>{int(code)}</ErrorCode>",
            f"      <Message>{_text(code.message)}</Message>",
            "      <DebugData />",
            "    </Error>",
        ]
    )

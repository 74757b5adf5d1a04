"""One domain's settings as a Thunderbird autoconfig file (``config-v1.1.xml``).

The document is the ``clientConfig version="1.1"`` format that Thunderbird, K-9/Thunderbird
for Android, Evolution, KMail and others fetch: one ``emailProvider`` for the domain,
its IMAP server as ``incomingServer type="imap"`` and its SMTP submission server as
``outgoingServer type="smtp"``. Per server:

* ``hostname`` and ``port`` as stored;
* ``socketType``: ``ssl`` -> ``SSL``, ``starttls`` -> ``STARTTLS``, ``none`` -> ``plain``;
* ``username`` ``%EMAILADDRESS%``: the client fills in the address of the inbox being
  set up, which is how the service logs in too;
* ``authentication`` ``password-cleartext`` ("normal password"; over TLS it is what
  nearly every server offers). mailctl does not store authentication methods, so it
  claims nothing more specific.

``allow_non_secure_certificate`` and a certificate pin have no autoconfig equivalent
and are not written: a client must still verify the certificate.

The bytes are a pure function of the domain (written by hand, not by a serialiser whose
output could change between versions): byte-stable, so an unchanged domain never makes
a diff.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import idna

from reconciler.desired.model import Domain, Endpoint, Security

SOCKET_TYPES: dict[Security, str] = {"ssl": "SSL", "starttls": "STARTTLS", "none": "plain"}
USERNAME = "%EMAILADDRESS%"
AUTHENTICATION = "password-cleartext"


def display_name(domain: str) -> str:
    """The domain as people read it: Unicode labels for an internationalised name."""
    try:
        return idna.decode(domain)
    except idna.IDNAError:
        return domain


def _server(element: str, kind: str, endpoint: Endpoint) -> list[str]:
    return [
        f"    <{element} type={quoteattr(kind)}>",
        f"      <hostname>{escape(endpoint.host)}</hostname>",
        f"      <port>{endpoint.port}</port>",
        f"      <socketType>{SOCKET_TYPES[endpoint.security]}</socketType>",
        f"      <username>{USERNAME}</username>",
        f"      <authentication>{AUTHENTICATION}</authentication>",
        f"    </{element}>",
    ]


def client_config(domain: Domain) -> bytes:
    """The ``config-v1.1.xml`` of ``domain``, UTF-8, ending in a new line."""
    shown = escape(display_name(domain.name))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<clientConfig version="1.1">',
        f"  <emailProvider id={quoteattr(domain.name)}>",
        f"    <domain>{escape(domain.name)}</domain>",
        f"    <displayName>{shown}</displayName>",
        f"    <displayShortName>{shown}</displayShortName>",
        *_server("incomingServer", "imap", domain.imap),
        *_server("outgoingServer", "smtp", domain.smtp),
        "  </emailProvider>",
        "</clientConfig>",
        "",
    ]
    return "\n".join(lines).encode()

"""Autodiscover request bodies for the tests: a valid one varied by keyword, and
hostile ones."""

from __future__ import annotations

from reconciler.autoconfig.autodiscover import OUTLOOK_NS, REQUEST_NS

MOBILESYNC = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"


def request(
    address: str = "alice@example.com", schema: str = OUTLOOK_NS, ns: str = REQUEST_NS
) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Autodiscover xmlns="{ns}">\n'
        "  <Request>\n"
        f"    <EMailAddress>{address}</EMailAddress>\n"
        f"    <AcceptableResponseSchema>{schema}</AcceptableResponseSchema>\n"
        "  </Request>\n"
        "</Autodiscover>\n"
    ).encode()


HOSTILE = {
    "internal DTD subset": b'<!DOCTYPE Autodiscover [<!ENTITY a "x">]>' + request(),
    "entity bomb": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        + request("&lol3;@example.com").split(b"?>", 1)[1]
    ),
    "external entity": (
        b'<!DOCTYPE Autodiscover SYSTEM "file:///etc/passwd">' + request("&xxe;@example.com")
    ),
    "not XML": b"EMailAddress=alice@example.com",
    "unclosed": request().replace(b"</Autodiscover>", b""),
    "empty": b"",
}

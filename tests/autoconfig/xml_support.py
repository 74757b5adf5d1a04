"""Autoconfig XML (the ISPDB format) for the import tests: one provider, its servers
varied by keyword."""

from __future__ import annotations

SERVERS = """\
    <incomingServer type="imap">
      <hostname>{imap_host}</hostname>
      <port>{imap_port}</port>
      <socketType>{imap_socket}</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.net</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
    </outgoingServer>
"""


def provider_xml(
    *,
    domains: tuple[str, ...] = ("example.net",),
    imap_host: str = "imap.example.net",
    imap_port: str = "993",
    imap_socket: str = "SSL",
) -> str:
    body = "".join(f"    <domain>{d}</domain>\n" for d in domains)
    servers = SERVERS.format(imap_host=imap_host, imap_port=imap_port, imap_socket=imap_socket)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">\n'
        f'  <emailProvider id="example.net">\n{body}{servers}  </emailProvider>\n'
        "</clientConfig>\n"
    )

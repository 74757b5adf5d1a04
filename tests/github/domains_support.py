"""The domains files of the pull-request flow: main, and the change a pull request makes."""

from __future__ import annotations

MAIN = """\
version: 1
connection_ips:
  ranges: [192.0.2.0/28]
domains:
  a.example:
    imap: {host: imap.a.example}
    smtp: {host: smtp.a.example}
    use_static_ip_addresses: true
  b.example:
    imap: {host: imap.b.example}
    smtp: {host: smtp.b.example}
"""
# The pull request: b.example moves SMTP to another host; c.example is new, with static IPs.
CHANGED = """\
version: 1
connection_ips:
  ranges: [192.0.2.0/28]
domains:
  a.example:
    imap: {host: imap.a.example}
    smtp: {host: smtp.a.example}
    use_static_ip_addresses: true
  b.example:
    imap: {host: imap.b.example}
    smtp: {host: mail.b.example, port: 465}
  c.example:
    imap: {host: imap.c.example}
    smtp: {host: smtp.c.example}
    use_static_ip_addresses: true
"""

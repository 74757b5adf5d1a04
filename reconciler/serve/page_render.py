"""The page for people, rendered: one page of a snapshot's domains as HTML bytes.

The template, its style sheet and its Copy script are package data
(``reconciler/serve/templates``). The script and the style are put into the page as
they are read, and the page's Content-Security-Policy allows exactly them by their
SHA-256 hashes, computed here from the same strings: the page runs no other script,
loads nothing from anywhere, and the hashes cannot disagree with what is served.

Everything from the store (names, hosts, ranges) is escaped by the template
(autoescape on): the store is trusted to hold settings, not markup.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from importlib.resources import files

import jinja2
from markupsafe import Markup

from reconciler.desired.model import Domain, Endpoint, Security
from reconciler.desired.names import to_unicode
from reconciler.plan.audit_replay import LastAudit
from reconciler.serve.snapshot import Snapshot, ranges_text

PAGE_SIZE = 200

SECURITY: dict[Security, str] = {
    "ssl": "SSL/TLS",
    "starttls": "STARTTLS",
    "none": "no encryption",
}

# The badge says the verdict in words: its colour only repeats it.
VERDICTS = {"ok": "ok", "warning": "warning", "failing": "failing"}


def _asset(name: str) -> str:
    return (files("reconciler.serve") / "templates" / name).read_text(encoding="utf-8")


def csp_hash(text: str) -> str:
    """The CSP source expression that allows an inline element whose content is ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


SCRIPT = _asset("page.js")
STYLE = _asset("page.css")
POLICY = "; ".join(
    (
        "default-src 'none'",
        f"script-src {csp_hash(SCRIPT)}",
        f"style-src {csp_hash(STYLE)}",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

_ENVIRONMENT = jinja2.Environment(
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATE = _ENVIRONMENT.from_string(_asset("page.html"))


@dataclass(frozen=True, slots=True)
class Server:
    host: str
    port: int
    security: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One domain as the template shows it."""

    name: str
    unicode: str | None  # the Unicode spelling of an ``xn--`` name, else None
    imap: Server
    smtp: Server
    insecure: bool
    static: bool
    ips: str  # exactly the text of /v1/domains/{name}/connection-ips.txt
    audit: LastAudit | None  # None: not audited


def page_count(total: int) -> int:
    """How many pages ``total`` domains take (at least one, saying there are none)."""
    return max(1, -(-total // PAGE_SIZE))


def page_of(position: int) -> int:
    """The page (from 1) that shows the domain at ``position`` (from 0) of the sorted names."""
    return position // PAGE_SIZE + 1


def render(current: Snapshot, names: list[str], page: int) -> bytes:
    """Page ``page`` (1 to ``page_count``) of ``current``, whose domain names sorted
    are ``names``."""
    start = (page - 1) * PAGE_SIZE
    shown = [_entry(current, current.domains[name]) for name in names[start : start + PAGE_SIZE]]
    html = _TEMPLATE.render(
        style=Markup(STYLE),
        script=Markup(SCRIPT),
        serial=current.serial,
        applied_at=current.applied_at,
        total=len(names),
        page=page,
        pages=page_count(len(names)),
        page_size=PAGE_SIZE,
        domains=shown,
        verdicts=VERDICTS,
    )
    return html.encode("utf-8")


def _entry(current: Snapshot, domain: Domain) -> Entry:
    unicode = to_unicode(domain.name)
    rendered = current.rendered.get(domain.name)
    ips = rendered.ips_text if rendered is not None else ranges_text(())
    return Entry(
        name=domain.name,
        unicode=unicode if unicode != domain.name else None,
        imap=_server(domain.imap),
        smtp=_server(domain.smtp),
        insecure=domain.allow_non_secure_certificate,
        static=domain.use_static_ip_addresses,
        ips=ips.decode("utf-8"),
        audit=current.audits.get(domain.name),
    )


def _server(endpoint: Endpoint) -> Server:
    return Server(endpoint.host, endpoint.port, SECURITY.get(endpoint.security, endpoint.security))

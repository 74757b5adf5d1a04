"""Autoconfig XML (the public ISPDB's format) -> domain entries.

The reading, per ``<emailProvider>``:

* one entry per ``<domain>`` of the provider;
* the provider's **first** ``<incomingServer type="imap">`` and **first**
  ``<outgoingServer type="smtp">`` in document order: the format lists a provider's
  servers by preference, and a mailctl domain has one IMAP and one SMTP server;
* ``%EMAILDOMAIN%`` in a host name is replaced by each domain in turn (a provider that
  hosts many domains at ``mail.<domain>``); a host name that needs the user's address
  (``%EMAILLOCALPART%``, ``%EMAILADDRESS%``) cannot be a domain's setting and is an
  error, as is any host that is not a valid name once resolved;
* ``socketType`` ``SSL`` / ``STARTTLS`` / ``plain`` become ``ssl`` / ``starttls`` /
  ``none``;
* ``username`` and ``authentication`` are not settings of a domain here and are
  ignored (the export writes ``%EMAILADDRESS%`` and ``password-cleartext``).

A provider without an IMAP server (POP3-only, Exchange-only) or without an SMTP server
is *skipped*, with the reason: a mailctl domain needs both. A domain that a second
provider lists again is skipped too, naming where it was kept (first wins, in the order
the files were given). Anything else that is wrong (malformed XML, a bad port, an
unknown socketType, an invalid domain or host name) is an error naming
``file:line:column``; all errors of all files are reported together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.autoconfig.xmltree import Element, parse_file
from reconciler.desired import names
from reconciler.desired.model import Endpoint, Security
from reconciler.errors import Diagnostic, InputError, Location

SOCKET_TYPES: dict[str, Security] = {"SSL": "ssl", "STARTTLS": "starttls", "plain": "none"}
DOMAIN_PLACEHOLDER = "%EMAILDOMAIN%"
_PLACEHOLDER = re.compile(r"%[A-Z]+%?")


@dataclass(frozen=True, slots=True)
class Entry:
    """One imported domain: its settings and where they were read."""

    domain: str
    imap: Endpoint
    smtp: Endpoint
    provider: str
    location: Location  # of the <domain> element


@dataclass(frozen=True, slots=True)
class Skipped:
    """A provider (or one domain of it) that gives no entry, and why."""

    location: Location
    provider: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: skipped {self.provider}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Imported:
    entries: tuple[Entry, ...]
    skipped: tuple[Skipped, ...]
    files: tuple[str, ...]

    def by_domain(self) -> dict[str, Entry]:
        return {entry.domain: entry for entry in self.entries}


class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[Diagnostic] = []

    def error(self, element: Element, message: str, hint: str = "") -> None:
        self.errors.append(Diagnostic(element.location(self.file), message, hint))


def _port(server: Element, out: _Collector) -> int | None:
    node = server.find("port")
    if node is None:
        out.error(server, "the server has no <port>", "add e.g. <port>993</port>")
        return None
    text = node.text
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        out.error(node, f"port {text!r} is not a number from 1 to 65535")
        return None
    return int(text)


def _security(server: Element, out: _Collector) -> Security | None:
    node = server.find("socketType")
    if node is None:
        out.error(
            server,
            "the server has no <socketType>",
            "add <socketType>SSL</socketType> (or STARTTLS)",
        )
        return None
    security = SOCKET_TYPES.get(node.text)
    if security is None:
        out.error(
            node,
            f"socketType {node.text!r} is not one of SSL, STARTTLS, plain",
            "autoconfig spells them exactly so",
        )
    return security


def _host_template(server: Element, out: _Collector) -> tuple[Element, str] | None:
    node = server.find("hostname")
    if node is None or not node.text:
        out.error(server, "the server has no <hostname>")
        return None
    others = sorted(set(_PLACEHOLDER.findall(node.text)) - {DOMAIN_PLACEHOLDER})
    if others:
        out.error(
            node,
            f"host name {node.text!r} uses {', '.join(others)}, which depends on the user's "
            "address; a domain's settings are the same for every inbox",
            "only %EMAILDOMAIN% can be resolved per domain",
        )
        return None
    return node, node.text


def _endpoint(
    server: Element, domain: str, out: _Collector
) -> tuple[Element, str, int, Security] | None:
    """The server's raw parts for ``domain``; the host is checked by the caller."""
    template = _host_template(server, out)
    port = _port(server, out)
    security = _security(server, out)
    if template is None or port is None or security is None:
        return None
    node, text = template
    return node, text.replace(DOMAIN_PLACEHOLDER, domain), port, security


def _host(node: Element, raw: str, out: _Collector) -> str | None:
    try:
        return names.normalise_host(raw)
    except names.NameProblem as problem:
        out.error(node, problem.message, problem.hint)
        return None


def _first(parent: Element, tag: str, kind: str) -> Element | None:
    for child in parent.find_all(tag):
        if child.attrs.get("type") == kind:
            return child
    return None


def _provider(element: Element, out: _Collector) -> tuple[list[Entry], list[Skipped]]:
    provider = element.attrs.get("id") or "(provider without id)"
    where = element.location(out.file)
    imap = _first(element, "incomingServer", "imap")
    smtp = _first(element, "outgoingServer", "smtp")
    domain_nodes = element.find_all("domain")
    if imap is None:
        kinds = sorted({s.attrs.get("type", "?") for s in element.find_all("incomingServer")})
        offered = f" (it offers {', '.join(kinds)})" if kinds else ""
        return [], [Skipped(where, provider, f"no IMAP server{offered}")]
    if smtp is None:
        return [], [Skipped(where, provider, "no SMTP server; a domain needs IMAP and SMTP")]
    if not domain_nodes:
        return [], [Skipped(where, provider, "no <domain>")]
    entries: list[Entry] = []
    for node in domain_nodes:
        try:
            domain = names.normalise_domain(node.text)
        except names.NameProblem as problem:
            out.error(node, problem.message, problem.hint)
            continue
        parts = [_endpoint(server, domain, out) for server in (imap, smtp)]
        if parts[0] is None or parts[1] is None:
            # The same server problem would repeat for every domain: report it once.
            break
        endpoints = []
        for host_node, raw, port, security in (parts[0], parts[1]):
            host = _host(host_node, raw, out)
            if host is not None:
                endpoints.append(Endpoint(host=host, port=port, security=security))
        if len(endpoints) == 2:
            entries.append(
                Entry(domain, endpoints[0], endpoints[1], provider, node.location(out.file))
            )
    return entries, []


def read_document(root: Element, file: str) -> tuple[list[Entry], list[Skipped]]:
    """The entries and skipped providers of one parsed file (InputError on problems)."""
    out = _Collector(file)
    if root.tag != "clientConfig":
        out.error(
            root,
            f"the root element is <{root.tag}>, not <clientConfig>",
            "this is not an autoconfig (config-v1.1.xml) file",
        )
        raise InputError(out.errors)
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    providers = root.find_all("emailProvider")
    if not providers:
        skipped.append(Skipped(root.location(file), "(none)", "no <emailProvider>"))
    for provider in providers:
        found, passed = _provider(provider, out)
        entries += found
        skipped += passed
    if out.errors:
        raise InputError(out.errors)
    return entries, skipped


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def discover(paths: Sequence[Path]) -> list[Path]:
    """The files to read: each file given, and every ``*.xml`` below each folder given
    (recursively, sorted, skipping hidden files and folders such as ``.well-known``, so
    an export folder is read once, not twice)."""
    found: list[Path] = []
    errors: list[Diagnostic] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            below = sorted(
                p for p in path.rglob("*.xml") if p.is_file() and not _hidden(p.relative_to(path))
            )
            if not below:
                errors.append(Diagnostic(Location(str(path)), "no *.xml files in this folder", ""))
            found += below
        else:
            errors.append(
                Diagnostic(Location(str(path)), "no such file or folder", "check the path")
            )
    if errors:
        raise InputError(errors)
    return found


def read_sources(paths: Sequence[Path]) -> Imported:
    """Read every autoconfig file at ``paths`` (files or folders) into entries.

    All errors of all files are raised together as one InputError. A domain listed by
    a second provider is skipped with a note naming where it was kept.
    """
    files = discover(paths)
    errors: list[Diagnostic] = []
    entries: dict[str, Entry] = {}
    skipped: list[Skipped] = []
    for path in files:
        try:
            found, passed = read_document(parse_file(path), str(path))
        except InputError as exc:
            errors += exc.diagnostics
            continue
        skipped += passed
        for entry in found:
            kept = entries.get(entry.domain)
            if kept is None:
                entries[entry.domain] = entry
            else:
                skipped.append(
                    Skipped(
                        entry.location,
                        entry.provider,
                        f"{entry.domain} is already listed at {kept.location} "
                        f"({kept.provider}); kept that one",
                    )
                )
    if errors:
        raise InputError(errors)
    return Imported(tuple(entries.values()), tuple(skipped), tuple(str(f) for f in files))


def find(domain: str, sources: Iterable[Path]) -> Entry | None:
    """The entry the autoconfig data at ``sources`` has for ``domain``, if any."""
    return read_sources(list(sources)).by_domain().get(domain)

"""Load the desired state from one domains file or a folder of them. No network.

Every problem in every file is collected and raised together as one
:class:`~reconciler.errors.InputError`, sorted by place. Warnings (legal but
probably unintended settings) travel with the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.desired import names
from reconciler.desired import ranges as range_policy
from reconciler.desired.credential_env import DEFAULT as DEFAULT_CREDENTIALS
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.model import (
    BUILTIN_PORTS,
    BUILTIN_SECURITY,
    FEED_FILTERS,
    Defaults,
    Desired,
    DomainsFile,
    DomainSpec,
    EndpointDefaults,
    EndpointSpec,
    Feed,
    Protocol,
)
from reconciler.desired.validation import diagnostics as validation_diagnostics
from reconciler.desired.yamlsource import YamlDocument, parse_file
from reconciler.errors import Diagnostic, InputError, Location, Severity

SUFFIXES = (".yaml", ".yml")


class Places(Mapping[str, Location]):
    """Where each domain is written, located only when asked: a plan of a big file
    needs the places of its few changed domains, not of all of them."""

    def __init__(self) -> None:
        self._written: dict[str, tuple[YamlDocument, str]] = {}

    def add(self, name: str, doc: YamlDocument, raw_key: str) -> None:
        self._written[name] = (doc, raw_key)

    def spelling(self, name: str) -> str:
        return self._written[name][1]

    def __getitem__(self, name: str) -> Location:
        doc, raw_key = self._written[name]
        return doc.locate(("domains", raw_key), key=True)

    def __iter__(self) -> Iterator[str]:
        return iter(self._written)

    def __len__(self) -> int:
        return len(self._written)


@dataclass(frozen=True)
class Loaded:
    """The desired state and where each part of it was written."""

    desired: Desired
    files: tuple[str, ...]
    places: Mapping[str, Location] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()


def discover(path: Path) -> list[Path]:
    """The files to read: ``path`` itself, or every ``*.yaml``/``*.yml`` below it
    (recursively, in sorted order, skipping hidden files and folders)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*")
            if p.suffix in SUFFIXES
            and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        _refuse_links_out(path, found)
        if not found:
            raise InputError.single(
                Location(str(path)),
                "folder holds no *.yaml or *.yml files",
                "point mailctl at a domains file or a folder of them",
            )
        return found
    raise InputError.single(Location(str(path)), "no such file or folder")


def _refuse_links_out(folder: Path, files: list[Path]) -> None:
    """A folder of domains files may come from a pull request: a file in it that is a
    link to somewhere outside it (a runner's key, /etc/passwd) is never read, so no
    parse error can quote what it points at."""
    inside = folder.resolve()
    outside = [f for f in files if not f.resolve().is_relative_to(inside)]
    if outside:
        raise InputError(
            Diagnostic(
                Location(str(f)),
                "is a link to a file outside the folder being read; it was not read",
                "put the domains file itself in the folder, or point mailctl at it directly",
            )
            for f in outside
        )


@dataclass
class _Parsed:
    doc: YamlDocument
    spec: DomainsFile


class _Collector:
    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def error(self, place: Location, message: str, hint: str = "") -> None:
        self.errors.append(Diagnostic(place, message, hint))

    def warn(self, place: Location, message: str, hint: str = "") -> None:
        self.warnings.append(Diagnostic(place, message, hint, Severity.WARNING))


def _parse(path: Path, out: _Collector) -> _Parsed | None:
    try:
        doc = parse_file(path)
    except InputError as exc:
        out.errors.extend(exc.diagnostics)
        return None
    if not isinstance(doc.data, dict):
        out.error(
            doc.locate(()),
            "the top level of a domains file must be a mapping",
            "start the file with 'version: 1' and list domains under 'domains:'",
        )
        return None
    try:
        return _Parsed(doc, DomainsFile.model_validate(doc.data))
    except ValidationError as exc:
        out.errors.extend(validation_diagnostics(doc, exc))
        return None


def _single(parsed: list[_Parsed], key: str, out: _Collector) -> _Parsed | None:
    """The one file that sets top-level ``key``; setting it in two files is an error."""
    owners = [p for p in parsed if getattr(p.spec, key) is not None]
    for later in owners[1:]:
        first = owners[0].doc.locate((key,), key=True)
        out.error(
            later.doc.locate((key,), key=True),
            f"{key} is set in two files (also at {first})",
            f"set {key} once, in one file of the folder",
        )
    return owners[0] if owners else None


def _inside(
    item: _Parsed, written: str, where: tuple[str | int, ...], out: _Collector
) -> str | None:
    """The feed file ``written`` as an absolute path, links resolved, if it lies in the
    folder of the YAML file that names it (or below), and is neither hidden nor in a
    hidden folder. Not the working folder: with ``/`` as the working folder that would
    be every file. A pull request must not make CI read a runner's other files, nor
    the checkout's own ``.git/config`` (where CI keeps its token), into a plan."""
    place = item.doc.locate((*where, "path"), key=True)
    if "\0" in written:
        out.error(place, "the feed path holds a NUL character", "write the file's name")
        return None
    base = Path(item.doc.name).parent.resolve()
    target = (base / written).resolve()
    parts = Path(written).parts
    if Path(written).is_absolute() or ".." in parts or not target.is_relative_to(base):
        out.error(
            place,
            f"the feed path {written!r} leads outside the folder of this file",
            "keep feed files beside this YAML file or in a folder below it, and name them "
            "relative to it (no .., no link out of the folder), or use url: with sha256:",
        )
        return None
    if any(part.startswith(".") for part in (*parts, *target.relative_to(base).parts)):
        out.error(
            place,
            f"the feed path {written!r} names a hidden file or folder",
            "mailctl reads no feed from hidden files or folders (.git, .env, …): "
            "move the feed file, or use url: with sha256:",
        )
        return None
    return str(target)


def _feeds(item: _Parsed, out: _Collector) -> tuple[Feed, ...]:
    """The file's feeds, resolved: paths made absolute (relative to the YAML file),
    and every rule the schema cannot say checked here, where it can be located."""
    assert item.spec.connection_ips is not None
    found: list[Feed] = []
    for index, spec in enumerate(item.spec.connection_ips.feeds):
        where = ("connection_ips", "feeds", index)
        place = item.doc.locate(where)
        errors_before = len(out.errors)
        if (spec.path is None) == (spec.url is None):
            out.error(
                place,
                f"the {spec.format} feed needs exactly one of path and url",
                "path: a file next to this YAML file; url: an https:// address with sha256",
            )
        if spec.url is not None and spec.sha256 is None:
            out.error(
                item.doc.locate((*where, "url"), key=True),
                f"the {spec.format} feed at {spec.url} has no sha256 pin",
                "add sha256: with the SHA-256 of the reviewed feed (sha256sum prints it)",
            )
        allowed = FEED_FILTERS[spec.format]
        for key in spec.filters():
            if key not in allowed:
                out.error(
                    item.doc.locate((*where, key), key=True),
                    f"the {spec.format} feed has no {key!r} to filter on",
                    f"{spec.format} feeds filter on: {', '.join(allowed)}"
                    if allowed
                    else f"{spec.format} feeds take no filters; remove {key}",
                )
        if spec.format == "github" and spec.keys is None:
            out.error(
                place,
                "the github feed needs keys: the lists of the meta document to read",
                "e.g. keys: [hooks]; the meta document lists hooks, web, api, git, actions, …",
            )
        source = spec.url
        if spec.path is not None and spec.url is None:
            source = _inside(item, spec.path, where, out)
        if len(out.errors) > errors_before or source is None:
            continue
        filters = spec.filters()
        if spec.format == "atlassian":
            filters.setdefault("directions", ("egress",))
        found.append(
            Feed(
                format=spec.format,
                source=source,
                is_url=spec.url is not None,
                sha256=spec.sha256,
                filters=filters,
                label=str(place),
            )
        )
    return tuple(found)


# Domains are resolved as plain dicts and validated into the resolved models in one
# call at the end: one pass in pydantic's core is far cheaper than 30,000 small model
# constructions (model_construct is slower still, being pure Python).


def _endpoint(
    protocol: Protocol, spec: EndpointSpec, defaults: EndpointDefaults | None
) -> dict[str, Any]:
    security = spec.security or (defaults and defaults.security) or BUILTIN_SECURITY
    port = spec.port or (defaults and defaults.port) or BUILTIN_PORTS[(protocol, security)]
    return {"host": spec.host, "port": port, "security": security}


def _resolve(name: str, spec: DomainSpec, defaults: Defaults | None) -> dict[str, Any]:
    return {
        "name": name,
        "imap": _endpoint("imap", spec.imap, defaults.imap if defaults else None),
        "smtp": _endpoint("smtp", spec.smtp, defaults.smtp if defaults else None),
        "allow_non_secure_certificate": spec.allow_non_secure_certificate,
        "certificate_sha256": spec.certificate_sha256,
        "use_static_ip_addresses": spec.use_static_ip_addresses,
        "credentials": spec.credentials,
    }


# Well-known ports whose security mode is fixed by their standard.
_PORT_SECURITY = {993: "ssl", 143: "starttls", 465: "ssl", 587: "starttls"}


def _check_domain(
    domain: dict[str, Any], doc: YamlDocument, raw_key: str, has_ranges: bool, out: _Collector
) -> None:
    name = domain["name"]
    for protocol in ("imap", "smtp"):
        endpoint = domain[protocol]
        security, port = endpoint["security"], endpoint["port"]
        if security == "none":
            out.warn(
                doc.locate(("domains", raw_key, protocol), key=True),
                f"{protocol} of {name} uses security: none: passwords and mail "
                "cross the network unencrypted",
                "use ssl or starttls unless the server cannot",
            )
        expected = _PORT_SECURITY.get(port)
        if expected and security not in ("none", expected):
            out.warn(
                doc.locate(("domains", raw_key, protocol), key=True),
                f"{protocol} of {name} uses security {security} on port "
                f"{port}, which is the {expected} port",
                "check that port and security belong together",
            )
    if domain["use_static_ip_addresses"] and not has_ranges:
        out.error(
            doc.locate(("domains", raw_key, "use_static_ip_addresses"), key=True),
            f"{name} uses static IP addresses, but connection_ips lists no ranges",
            "list the service's egress ranges under connection_ips.ranges or .feeds",
        )
    no_tls = domain["imap"]["security"] == domain["smtp"]["security"] == "none"
    if domain["certificate_sha256"] and no_tls:
        out.error(
            doc.locate(("domains", raw_key, "certificate_sha256"), key=True),
            f"{name} pins a certificate, but neither endpoint uses TLS",
            "remove certificate_sha256 or set security to ssl or starttls",
        )


def _check_credentials(
    spec: DomainSpec, doc: YamlDocument, raw_key: str, policy: CredentialPolicy, out: _Collector
) -> None:
    """Refuse credential variables the operator's policy does not allow: the file must
    not choose which of the environment's secrets a check sends to a server."""
    if spec.credentials is None:
        return
    for key in ("username_env", "password_env"):
        refused = policy.refusal(f"credentials.{key}", getattr(spec.credentials, key))
        if refused is not None:
            out.error(doc.locate(("domains", raw_key, "credentials", key)), *refused)


def load(path: Path | str, credentials: CredentialPolicy = DEFAULT_CREDENTIALS) -> Loaded:
    """Read, validate, merge and normalise the desired state at ``path``.

    ``credentials``: which environment variables a domain may name for its login
    (the operator's ``MAILCTL_CREDENTIAL_ENV``, read by the caller)."""
    files = discover(Path(path))
    out = _Collector()
    parsed = [p for p in (_parse(f, out) for f in files) if p is not None]

    defaults_file = _single(parsed, "defaults", out)
    ranges_file = _single(parsed, "connection_ips", out)
    defaults = defaults_file.spec.defaults if defaults_file else None
    ranges: tuple[str, ...] = ()
    feeds: tuple[Feed, ...] = ()
    ranges_label = ""
    if ranges_file and ranges_file.spec.connection_ips:
        ranges = tuple(dict.fromkeys(ranges_file.spec.connection_ips.ranges))
        feeds = _feeds(ranges_file, out)
        place = ranges_file.doc.locate(("connection_ips",), key=True)
        ranges_label = str(place)
        for problem in range_policy.too_broad(ranges):
            out.error(place, *broad_ranges(problem))

    domains: dict[str, dict[str, Any]] = {}
    places = Places()
    for item in parsed:
        for raw_key, spec in item.spec.domains.items():
            try:
                name = names.normalise_domain(raw_key)
            except names.NameProblem as problem:
                out.error(
                    item.doc.locate(("domains", raw_key), key=True), problem.message, problem.hint
                )
                continue
            if name in places:
                earlier = places.spelling(name)
                also = f"{places[name]}" + (f" as {earlier!r}" if earlier != raw_key else "")
                out.error(
                    item.doc.locate(("domains", raw_key), key=True),
                    f"domain {name} is defined twice (also at {also})",
                    "define each domain once; merge the two entries",
                )
                continue
            _check_credentials(spec, item.doc, raw_key, credentials, out)
            domain = _resolve(name, spec, defaults)
            _check_domain(domain, item.doc, raw_key, bool(ranges or feeds), out)
            domains[name] = domain
            places.add(name, item.doc, raw_key)

    if out.errors:
        raise InputError(out.errors)
    ordered = {name: domains[name] for name in sorted(domains)}
    return Loaded(
        desired=Desired.model_validate(
            {
                "connection_ranges": ranges,
                "feeds": feeds,
                "domains": ordered,
                "connection_ips_label": ranges_label,
            }
        ),
        files=tuple(str(f) for f in files),
        places=places,
        warnings=tuple(sorted(out.warnings, key=Diagnostic.sort_key)),
    )


def broad_ranges(
    problem: range_policy.TooBroad, origin: Callable[[str], str] | None = None
) -> tuple[str, str]:
    """(message, hint) for connection ranges that together break the floor; ``origin``
    says where a range comes from, when they come from more than one place."""
    return (
        f"connection_ips allow too much: {problem.describe(origin)}",
        "list the service's egress ranges only: halves or quarters of the address space "
        "are the whole of it once a firewall merges them (the floor: "
        f"{range_policy.floor_text(problem.version)})",
    )


def summary_counts(loaded: Loaded) -> dict[str, int]:
    return {
        "domains": len(loaded.desired.domains),
        "static_ip_domains": len(loaded.desired.static_ip_domains()),
        "files": len(loaded.files),
        "connection_ranges": len(loaded.desired.connection_ranges),
        "feeds": len(loaded.desired.feeds),
    }

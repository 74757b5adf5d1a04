"""Load the desired state from one domains file or a folder of them. No network.

Every problem in every file is collected and raised together as one
:class:`~reconciler.errors.InputError`, sorted by place. Warnings (legal but
probably unintended settings) travel with the result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.desired import names
from reconciler.desired import ranges as range_policy
from reconciler.desired.credential_env import DEFAULT as DEFAULT_CREDENTIALS
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.discovery import discover
from reconciler.desired.domain_rules import check_credentials, check_domain, resolve_domain
from reconciler.desired.fast_load import load_fast
from reconciler.desired.feed_specs import judge_feeds
from reconciler.desired.findings import Findings, Parsed
from reconciler.desired.loaded import Loaded, Places
from reconciler.desired.model import Desired, Feed
from reconciler.desired.salvage import salvage
from reconciler.desired.spec import DomainsFile
from reconciler.desired.validation import diagnostics as validation_diagnostics
from reconciler.desired.yamlsource import DuplicateKeys, parse_file
from reconciler.errors import Diagnostic, InputError


def _parse(path: Path, out: Findings) -> Parsed | None:
    try:
        doc = parse_file(path)
    except DuplicateKeys as exc:
        out.errors.extend(exc.diagnostics)
        doc = exc.document  # the rest of the file is still judged
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
        return Parsed(doc, DomainsFile.model_validate(doc.data))
    except ValidationError as exc:
        out.errors.extend(validation_diagnostics(doc, exc))
        return salvage(doc, exc)


def _single(parsed: list[Parsed], key: str, out: Findings) -> Parsed | None:
    """The one file that sets top-level ``key``; setting it in two files is an error
    (also when one of the two failed the schema there)."""
    owners = [p for p in parsed if getattr(p.spec, key) is not None or key in p.broken]
    for later in owners[1:]:
        first = owners[0].doc.locate((key,), key=True)
        out.error(
            later.doc.locate((key,), key=True),
            f"{key} is set in two files (also at {first})",
            f"set {key} once, in one file of the folder",
        )
    return owners[0] if owners else None


def load(path: Path | str, credentials: CredentialPolicy = DEFAULT_CREDENTIALS) -> Loaded:
    """Read, validate, merge and normalise the desired state at ``path``.

    ``credentials``: which environment variables a domain may name for its login
    (the operator's ``MAILCTL_CREDENTIAL_ENV``, read by the caller).

    A well-formed file is read by the fast path (:mod:`~reconciler.desired.fast_load`);
    anything it does not accept, every error and every warning among them, is read
    again here with node positions, which decide and locate what is said."""
    fast = load_fast(Path(path), credentials)
    return fast if fast is not None else load_located(path, credentials)


def load_located(path: Path | str, credentials: CredentialPolicy = DEFAULT_CREDENTIALS) -> Loaded:
    """:func:`load` with node positions for every file: the reference the fast path
    agrees with, and the reader of every file that has something to report."""
    out = Findings()
    files = discover(Path(path), out.errors)
    parsed = [p for p in (_parse(f, out) for f in files) if p is not None]

    defaults_file = _single(parsed, "defaults", out)
    ranges_file = _single(parsed, "connection_ips", out)
    defaults = defaults_file.spec.defaults if defaults_file else None
    ranges: tuple[str, ...] = ()
    feeds: tuple[Feed, ...] = ()
    ranges_label = ""
    for other in parsed:
        if other is not ranges_file and other.spec.connection_ips:
            judge_feeds(other, out)  # its own mistakes, beside "set in two files"
    # Whether connection_ips names any source of ranges, even one that failed: a domain
    # with static IPs is then not also blamed for a list that only looks empty.
    has_ranges = ranges_file is not None and "connection_ips" in ranges_file.broken
    if ranges_file and ranges_file.spec.connection_ips:
        written = ranges_file.spec.connection_ips
        has_ranges = has_ranges or bool(written.ranges or written.feeds)
        ranges = tuple(dict.fromkeys(written.ranges))
        feeds = judge_feeds(ranges_file, out)
        place = ranges_file.doc.locate(("connection_ips",), key=True)
        ranges_label = str(place)
        for problem in range_policy.too_broad(ranges):
            out.error(place, *broad_ranges(problem))

    domains: dict[str, dict[str, Any]] = {}
    places = Places()
    for item in parsed:
        for raw_key in item.written_domains():
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
            places.add(name, item.doc, raw_key)
            spec = item.spec.domains.get(raw_key)
            if spec is None:
                continue  # its entry failed the schema: only its name could be judged
            check_credentials(spec, item.doc, raw_key, credentials, out)
            domain = resolve_domain(name, spec, defaults)
            check_domain(domain, item.doc, raw_key, has_ranges, out)
            domains[name] = domain

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

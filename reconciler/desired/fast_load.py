"""The fast path of a load: well-formed files read without node positions.

Each file's text passes the same size, encoding and character checks as on the
located path. Its ``domains:`` block is read by :mod:`~reconciler.desired.fast_yaml`
one entry at a time and resolved by :mod:`~reconciler.desired.fast_domains`; the rest
of the file (version, defaults, connection_ips: a few lines) is parsed by the located
parser, with its nesting and alias guards, with the block blanked so every other line
keeps its place. Nothing is built for a domain before its entry has been read and
judged, and no node tree or raw data of the block is kept.

The fast path reports no error itself: at the first thing it does not accept (anything
outside the subset it reads, and every error the loader would report) it gives up, and
:func:`reconciler.desired.loader.load` reads the files again with positions, so every
error is the located path's own. A warning (``security: none``, a port of another
mode) is said by the located path's own rule, on a parse of that domain's lines alone
(:mod:`~reconciler.desired.fast_warnings`); past a thousand of them the located path
reads the files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from reconciler.desired import names, shared_fields
from reconciler.desired import ranges as range_policy
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.discovery import discover
from reconciler.desired.fast_domains import Resolver
from reconciler.desired.fast_warnings import MAX_WARNED, Source, Warned, warnings_of
from reconciler.desired.fast_yaml import Unsupported, entries, split, unpack
from reconciler.desired.feed_specs import judge_feeds
from reconciler.desired.findings import Findings, Parsed
from reconciler.desired.loaded import Loaded, Places
from reconciler.desired.model import Desired, Domain, Feed
from reconciler.desired.spec import DomainsFile
from reconciler.desired.yaml_text import read_text
from reconciler.desired.yamlsource import LazyDocument, PathElement, parse_text
from reconciler.errors import Diagnostic, InputError, Location

# Resolved domains are validated into models this many at a time: one pass in
# pydantic's core per batch, and never more than a batch of plain dicts held.
_BATCH = 2048
_DOMAINS = TypeAdapter(list[Domain])


def _built(batch: list[dict[str, Any]]) -> list[Domain]:
    # Every resolved domain sets every field: they share one set of the seven names.
    return shared_fields.share(_DOMAINS.validate_python(batch))


class _Places:
    """Where a file read by the fast path writes things: each domain key from the
    reader's own count of lines; anything else from the file parsed with positions,
    on first need (an error found later, by a plan, say)."""

    def __init__(self, path: Path, name: str) -> None:
        self.name = name
        self.keys: dict[str, int] = {}
        self._lazy = LazyDocument(path, name)

    def locate(self, path: Sequence[PathElement], *, key: bool = False) -> Location:
        if key and len(path) == 2 and path[0] == "domains":
            packed = self.keys.get(str(path[1]))
            if packed is not None:
                return Location(self.name, *unpack(packed))
        return self._lazy.locate(path, key=key)


@dataclass
class _File:
    parsed: Parsed
    places: _Places
    written: Iterable[tuple[Any, Any]]  # (key as written, entry) of each domain
    source: Source | None  # what a warning needs to be located (None: read already)


# Line breaks other than \n (YAML also breaks lines at \r, NEL, LS and PS): the reader
# splits at \n only, so a file holding any of them is left to the located parser; \r\n
# (Windows) is one break to YAML, read as \n, which moves no line or column.
_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")


def _read(path: Path) -> _File:
    name = str(path)
    text = read_text(path, name)
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if _OTHER_BREAKS.search(text):
        raise Unsupported("line breaks")
    cut = split(text)
    doc = parse_text(cut.blanked if cut else text, name)
    data = doc.data
    places = _Places(path, name)
    if not isinstance(data, dict):
        raise Unsupported("top level")
    written: Iterable[tuple[Any, Any]]
    if cut is not None:
        # The line found must be the file's own top-level key, not text inside a
        # string or a flow collection that happens to start a line with "domains:".
        # And the file must be a block mapping: in a flow one, that line's block below
        # would not be the value of domains.
        place = doc.locate(("domains",), key=True)
        if (
            data.get("domains", False) is not None
            or (place.line, place.column) != (cut.line, 1)
            or getattr(doc.root, "flow_style", True) is not False
        ):
            raise Unsupported("domains line")
        written = entries(text, cut, places.keys)
    else:
        raw = data.get("domains", {})
        if not isinstance(raw, dict):
            raise Unsupported("domains")
        written = raw.items()
    try:
        spec = DomainsFile.model_validate({**data, "domains": {}})
    except ValidationError:
        raise Unsupported("schema") from None
    return _File(Parsed(doc, spec), places, written, Source(text, cut, places.keys, doc))


def _single(files: list[_File], key: str) -> _File | None:
    owners = [f for f in files if getattr(f.parsed.spec, key) is not None]
    if len(owners) > 1:
        raise Unsupported(f"{key} twice")
    return owners[0] if owners else None


def _domains(
    files: list[_File], resolver: Resolver, places: Places, said: list[Diagnostic]
) -> Iterator[Domain]:
    batch: list[dict[str, Any]] = []
    warned = 0
    for item in files:
        source = item.source
        if source is None:  # its domains were read already: a file is listed once
            raise Unsupported("file read twice")
        mine: list[Warned] = []
        for raw_key, entry in item.written:
            if not isinstance(raw_key, str):
                raise Unsupported("key")
            try:
                name = names.normalise_domain(raw_key)
            except names.NameProblem:
                raise Unsupported("name") from None
            if name in places:
                raise Unsupported("defined twice")
            places.add(name, item.places, raw_key)
            batch.append(resolver.domain(name, entry))
            if resolver.warned:
                warned += 1
                if warned > MAX_WARNED:
                    raise Unsupported("many warnings")
                mine.append(Warned(raw_key, batch[-1]))
            if len(batch) >= _BATCH:
                yield from _built(batch)
                batch = []
        # Said while the file's text is at hand; then the text is let go.
        said.extend(warnings_of(source, mine, resolver.has_ranges))
        item.written, item.source = (), None
    yield from _built(batch)


def _load(path: Path, credentials: CredentialPolicy) -> Loaded:
    refused: list[Diagnostic] = []
    paths = discover(path, refused)
    if refused:
        raise Unsupported("refused files")
    files = [_read(p) for p in paths]
    defaults_file = _single(files, "defaults")
    ranges_file = _single(files, "connection_ips")
    ranges: tuple[str, ...] = ()
    feeds: tuple[Feed, ...] = ()
    label = ""
    has_ranges = False
    if ranges_file is not None and ranges_file.parsed.spec.connection_ips is not None:
        written = ranges_file.parsed.spec.connection_ips
        has_ranges = bool(written.ranges or written.feeds)
        ranges = tuple(dict.fromkeys(written.ranges))
        out = Findings()
        feeds = judge_feeds(ranges_file.parsed, out)
        if out.errors or out.warnings or range_policy.too_broad(ranges):
            raise Unsupported("connection_ips")
        label = str(ranges_file.parsed.doc.locate(("connection_ips",), key=True))
    defaults = defaults_file.parsed.spec.defaults if defaults_file else None
    resolver = Resolver(defaults, has_ranges, credentials)
    places = Places()
    said: list[Diagnostic] = []
    built = {domain.name: domain for domain in _domains(files, resolver, places, said)}
    return Loaded(
        desired=Desired.model_validate(
            {
                "connection_ranges": ranges,
                "feeds": feeds,
                "domains": {name: built[name] for name in sorted(built)},
                "connection_ips_label": label,
            }
        ),
        files=tuple(str(p) for p in paths),
        places=places,
        warnings=tuple(sorted(said, key=Diagnostic.sort_key)),
    )


def load_fast(path: Path, credentials: CredentialPolicy) -> Loaded | None:
    """The desired state at ``path`` when every file is well formed and the load has
    no error to report (warnings it locates itself, see ``fast_warnings``); None when
    the located path must decide."""
    try:
        return _load(path, credentials)
    except (Unsupported, InputError, ValidationError):
        return None

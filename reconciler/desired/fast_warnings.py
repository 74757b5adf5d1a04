"""Warnings of a fast load: each warned domain located by parsing its own lines alone.

A domain the fast path reads can still deserve a warning (``security: none``, a port
of another protocol or of another security mode). The located path would parse the
whole file with positions to place it; here only that domain's lines are parsed (their
places moved down by the lines above them; columns are the file's), and the located
path's own rule (``domain_rules.check_domain``) says what and where. The subset the
fast reader accepts has no anchors, aliases, tags or multi-line values, so a domain's
lines mean alone what they mean in the file.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.desired.domain_rules import check_domain
from reconciler.desired.fast_yaml import Cut, Unsupported, unpack
from reconciler.desired.findings import Findings
from reconciler.desired.yamlsource import Locator, PathElement, YamlDocument, parse_text
from reconciler.errors import Diagnostic, Location

MAX_WARNED = 1_000  # domains located one by one; past this the located path reads it all
_BREAK = re.compile("\n")


@dataclass(frozen=True)
class Warned:
    """A domain the fast path resolved that deserves a warning: its key as written and
    its resolved fields (``Resolver.domain``)."""

    raw_key: str
    domain: dict[str, Any]


@dataclass(frozen=True)
class Source:
    """A file read by the fast path: its text, its ``domains:`` block (None: the whole
    file was parsed with positions, as ``doc``), and where each domain key is written."""

    text: str
    cut: Cut | None
    keys: dict[str, int]
    doc: YamlDocument


def warnings_of(source: Source, warned: Sequence[Warned], has_ranges: bool) -> list[Diagnostic]:
    """The located path's warnings of ``warned``, domains of the file ``source``; raises
    :class:`Unsupported` when something is an error after all. (The caller keeps the
    count under :data:`MAX_WARNED`.)"""
    out = Findings()
    lines = _Lines(source, source.cut) if source.cut is not None and warned else None
    for item in warned:
        doc: Locator = source.doc if lines is None else lines.domain(item.raw_key)
        check_domain(_as_resolved(item.domain), doc, item.raw_key, has_ranges, out)
    if out.errors:
        raise Unsupported("error")
    return out.warnings


def _as_resolved(domain: dict[str, Any]) -> dict[str, Any]:
    """The fast resolver's fields as ``resolve_domain`` gives them (endpoints as dicts)."""
    return {
        **domain,
        "imap": domain["imap"].model_dump(),
        "smtp": domain["smtp"].model_dump(),
    }


class _Lines:
    """The domains block of one file by lines: each domain's lines parsed on their own."""

    def __init__(self, source: Source, cut: Cut) -> None:
        self._source = source
        self._cut = cut
        text = source.text
        self._offsets = array("q", [0])  # where each line (from 1) starts
        self._offsets.extend(m.end() for m in _BREAK.finditer(text))
        self._keys = sorted(unpack(p)[0] for p in source.keys.values())

    def domain(self, raw_key: str) -> _DomainLines:
        first = unpack(self._source.keys[raw_key])[0]
        after = bisect.bisect_right(self._keys, first)
        start = self._offsets[first - 1]
        end = self._offsets[self._keys[after] - 1] if after < len(self._keys) else self._cut.end
        text = self._source.text[start:end]
        return _DomainLines(parse_text(text, self._source.doc.name), raw_key, first - 1)


class _DomainLines:
    """Locates paths under one domain in a parse of its own lines."""

    def __init__(self, doc: YamlDocument, raw_key: str, above: int) -> None:
        self._doc = doc
        self._raw_key = raw_key
        self._above = above  # the file's lines above the domain's first

    def locate(self, path: Sequence[PathElement], *, key: bool = False) -> Location:
        if len(path) < 2 or path[0] != "domains" or path[1] != self._raw_key:
            raise Unsupported("a place outside the domain")
        found = self._doc.locate(path[1:], key=key)
        return Location(found.file, found.line + self._above, found.column)

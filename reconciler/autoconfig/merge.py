"""Imported entries as ``domains.yaml`` text, new or merged into an existing file.

Merging uses ruamel.yaml's round trip, so an existing file keeps its comments, key
order, flow or block style and indentation (guessed from the file). New domains are
appended at the end of ``domains:``, sorted by name, each written out in full
(``host``, ``port``, ``security`` for IMAP and SMTP, so ``defaults:`` in the file
cannot change what was imported) with a comment naming the provider it came from.

A domain the file already has (compared by normalised name, so ``Example.COM.`` is
``example.com``) is kept as it is and reported, unless ``replace`` is set: then its
``imap`` and ``smtp`` are replaced in place, and every other key of it (flags, pins,
credentials) and its comments stay.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

from reconciler.autoconfig.ispdb import Entry
from reconciler.desired import names
from reconciler.desired.model import FORMAT_VERSION, Endpoint
from reconciler.desired.starter import MODELINE, WRITE_SCHEMA
from reconciler.desired.yaml_guards import anchors_may_repeat
from reconciler.errors import InputError, Location

HEADER = (
    MODELINE
    + "# Imported by mailctl from autoconfig XML (mailctl import autoconfig).\n"
    + WRITE_SCHEMA
)


@dataclass(frozen=True)
class Merged:
    text: str
    added: tuple[str, ...]
    replaced: tuple[str, ...]
    kept: tuple[str, ...]  # already in the file, left as they were


def _yaml(mapping_indent: int = 2, offset: int = 2) -> YAML:
    yaml = YAML()  # round trip
    yaml.indent(mapping=mapping_indent, sequence=mapping_indent + offset, offset=offset)
    yaml.width = 4096
    yaml.preserve_quotes = True
    return yaml


def _endpoint(endpoint: Endpoint) -> CommentedMap:
    node = CommentedMap(host=endpoint.host, port=endpoint.port, security=endpoint.security)
    node.fa.set_flow_style()
    return node


def _add(domains: CommentedMap, key: str, entry: Entry) -> None:
    node = CommentedMap()
    node["imap"] = _endpoint(entry.imap)
    node["smtp"] = _endpoint(entry.smtp)
    domains[key] = node
    comment = " ".join(entry.provider.split())
    domains.yaml_add_eol_comment(f"# autoconfig: {comment}", key, column=0)


def _dump(yaml: YAML, document: Any, header: str = "") -> str:
    out = io.StringIO()
    out.write(header)
    yaml.dump(document, out)
    return out.getvalue()


_PLAIN = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?\Z")


# What YAML (1.1 or 1.2) may read as a number rather than a string: 1.5e3 is a valid
# host name (its last label is not all digits) and a float to a YAML reader.
_NUMBER = re.compile(r"[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?\Z")


def _scalar(value: str) -> str:
    """A normalised name as YAML: plain when it can only be read back as that string
    (letters, digits, dots, hyphens, and not number-shaped), else double-quoted (an
    IPv6 literal's colons, or a name such as 1.5e3)."""
    if _PLAIN.match(value) and not _NUMBER.match(value):
        return value
    return json.dumps(value)


def _flow(endpoint: Endpoint) -> str:
    return (
        f"{{host: {_scalar(endpoint.host)}, port: {endpoint.port}, security: {endpoint.security}}}"
    )


def render_new(entries: Sequence[Entry]) -> str:
    """A complete domains file holding ``entries`` (sorted by domain).

    Written directly rather than through ruamel.yaml's emitter, which costs about 1 ms
    per entry: the values are normalised names, numbers and fixed words, and
    ``_scalar`` quotes anything that is not plainly a name. The layout is the one a
    merge produces, so importing into a new file or printing gives the same text.
    """
    lines = [HEADER.rstrip("\n"), f"version: {FORMAT_VERSION}", "domains:"]
    for entry in sorted(entries, key=lambda e: e.domain):
        comment = " ".join(entry.provider.split())
        lines += [
            f"  {_scalar(entry.domain)}: # autoconfig: {comment}",
            f"    imap: {_flow(entry.imap)}",
            f"    smtp: {_flow(entry.smtp)}",
        ]
    if not entries:
        lines[-1] = "domains: {}"
    return "\n".join(lines) + "\n"


def _error(file: str, exc: YAMLError) -> InputError:
    mark = getattr(exc, "problem_mark", None) if isinstance(exc, MarkedYAMLError) else None
    where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return InputError.single(
        where,
        f"cannot merge into this file: {problem}",
        "fix the YAML first (mailctl validate shows every problem), or write to a new file",
    )


def _detach_trailing(domains: CommentedMap) -> str:
    """Take the comment lines that follow the last domain off it, and return them.

    ruamel.yaml attaches comment lines after a block to its deepest last value (an
    end-of-file comment becomes part of the last domain's last key); entries appended
    after that domain would otherwise land below those comments, splitting them from
    the end of the file. The end-of-line comment of that key stays where it is.
    """
    node: Any = domains
    while isinstance(node, CommentedMap | CommentedSeq) and len(node):
        key = next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1
        item = node.ca.items.get(key)
        token = item[2] if item and len(item) > 2 else None
        if isinstance(token, CommentToken):
            first, newline, rest = str(token.value).partition("\n")
            if rest:
                token.value = first + newline
                return rest
        node = node[key]
    return ""


def _attach_trailing(entry: CommentedMap, lines: str) -> None:
    if lines:
        entry.ca.items["smtp"] = [None, None, CommentToken("\n" + lines, CommentMark(0)), None]


def _existing_names(domains: CommentedMap) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key in domains:
        if not isinstance(key, str):
            continue
        try:
            found.setdefault(names.normalise_domain(key), key)
        except names.NameProblem:
            continue  # mailctl validate reports it; nothing imported can match it
    return found


def merge(text: str, file: str, entries: Sequence[Entry], replace: bool = False) -> Merged:
    """``text`` (the contents of ``file``) with ``entries`` merged in; InputError when
    the file is not a domains mapping that can be merged into."""
    if not text.strip():
        return Merged(render_new(entries), tuple(sorted(e.domain for e in entries)), (), ())
    try:
        with anchors_may_repeat():
            _, indent, offset = load_yaml_guess_indent(text)
            yaml = _yaml(indent or 2, offset or 0)
            document = yaml.load(text)
    except YAMLError as exc:
        raise _error(file, exc) from None
    if not isinstance(document, CommentedMap):
        raise InputError.single(
            Location(file, 1, 1),
            "cannot merge into this file: it is not a mapping with version and domains",
            "import into a new file with --out, or print to standard output",
        )
    if document.get("domains") is None:
        document["domains"] = CommentedMap()
    domains = document["domains"]
    if not isinstance(domains, CommentedMap):
        raise InputError.single(
            Location(file, domains.lc.line + 1 if hasattr(domains, "lc") else 0),
            "cannot merge into this file: 'domains' is not a mapping",
        )
    existing = _existing_names(domains)
    new = [e for e in entries if e.domain not in existing]
    trailing = _detach_trailing(domains) if new else ""
    added, replaced, kept = [], [], []
    for entry in sorted(entries, key=lambda e: e.domain):
        key = existing.get(entry.domain)
        if key is None:
            _add(domains, entry.domain, entry)
            added.append(entry.domain)
        elif replace:
            node = domains[key]
            if isinstance(node, CommentedMap):
                node["imap"] = _endpoint(entry.imap)
                node["smtp"] = _endpoint(entry.smtp)
            else:
                _add(domains, key, entry)
            replaced.append(entry.domain)
        else:
            kept.append(entry.domain)
    if not added and not replaced:
        return Merged(text, (), (), tuple(kept))
    if added:
        _attach_trailing(domains[added[-1]], trailing)
    return Merged(_dump(yaml, document), tuple(added), tuple(replaced), tuple(kept))

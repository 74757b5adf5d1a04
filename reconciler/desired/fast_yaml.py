"""Read the ``domains:`` block of a domains file quickly, without node positions.

A domains file is almost always the same plain shape: one domain per key, block
mappings, one-line flow mappings, plain or simply quoted scalars. This module reads
exactly that subset, line by line, and yields one domain entry at a time, so neither
a node tree nor the whole file's data is ever held. Anything outside the subset
(anchors, aliases, tags, escapes, multi-line scalars, explicit keys, nulls, floats,
sequences, duplicate keys) raises :class:`Unsupported`: the caller then reads the
file with the located parser, which decides and explains. The subset has a fixed
depth, so nesting and alias bombs cannot reach it.

Plain scalars are typed with the same YAML 1.2 core table as the located parser
(:mod:`~reconciler.desired.yaml_types`), so both agree on every value this reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from reconciler.desired.yaml_types import core_first_chars, core_tag

# Block levels below ``domains:``: the domain, its keys, an endpoint's keys.
MAX_LEVELS = 3
_DOMAINS_LINE = re.compile(r"^domains:[ ]*(?:#.*)?$", re.MULTILINE)
_TOP_LEVEL_LINE = re.compile(r"^[^ #\n]", re.MULTILINE)
# Scalars: plain ones start with no indicator and hold no character that could end or
# change them in block or flow context (':' only inside, never before a space).
_PLAIN = r"[^\s\-?:,\[\]{}#&*!|>'\"%@`\\](?:[^\s,\[\]{}#&*!'\"\\:]|:(?=[^\s,\[\]{}]))*"
_PLAIN_FLOW = r"[^\s\-?:,\[\]{}#&*!|>'\"%@`\\][^\s,\[\]{}#&*!'\"\\:]*"
_DOUBLE = r"\"[^\"\\]*\""
_SINGLE = r"'(?:[^']|'')*'"
_COMMENT = r"(?:[ ]+#.*)?"
_SCALAR = rf"{_PLAIN}|{_DOUBLE}|{_SINGLE}"
_BLOCK_LINE = re.compile(rf"(?P<key>{_SCALAR}):(?:[ ]+(?P<value>{_SCALAR}|\{{.*?))?{_COMMENT}[ ]*")
_FLOW_TOKEN = re.compile(
    rf"[ ]*(?:(?P<scalar>{_PLAIN_FLOW}|{_DOUBLE}|{_SINGLE})|(?P<mark>[{{}},:]))"
)
_FLOW_END = re.compile(rf"[ ]*{_COMMENT}[ ]*")
# The common case, a flow mapping of scalars on one line, checked whole by one pattern
# and then cut into its pairs; anything else goes through the token reader.
_FLOW_SCALAR = rf"{_PLAIN_FLOW}|{_DOUBLE}|{_SINGLE}"
_FLOW_PAIR = rf"(?:{_FLOW_SCALAR})[ ]*:[ ]+(?:{_FLOW_SCALAR})"
_SIMPLE_FLOW = re.compile(
    rf"(\{{[ ]*(?:{_FLOW_PAIR}(?:[ ]*,[ ]*{_FLOW_PAIR})*)?[ ]*\}}){_COMMENT}[ ]*"
)
_PAIR = re.compile(rf"({_FLOW_SCALAR})[ ]*:[ ]+({_FLOW_SCALAR})")
_TYPED_FIRST = frozenset(core_first_chars())
_QUOTED_OR_TYPED = _TYPED_FIRST | {'"', "'"}


class Unsupported(Exception):
    """The text is outside the subset this module reads; the located parser decides."""


def scalar(token: str) -> Any:
    """The value of one scalar token: quoted ones are text, plain ones typed by the
    core table. Nulls and floats are outside the subset (no domain key wants them)."""
    first = token[0]
    if first == '"':
        return token[1:-1]
    if first == "'":
        return token[1:-1].replace("''", "'")
    if first not in _TYPED_FIRST:
        return token
    tag = core_tag(token)
    if tag is None:
        return token
    if tag == "int":
        return int(token)
    if tag == "bool":
        return token.lower() == "true"
    raise Unsupported(tag)


class Cut(NamedTuple):
    """A file cut at its ``domains:`` block: the text with the block blanked (every
    other line stays where it was, so the rest is located exactly), where the block
    starts and ends, and the line (from 1) of ``domains:``."""

    blanked: str
    start: int
    end: int
    line: int


def split(text: str) -> Cut | None:
    """The file ``text`` cut at its ``domains:`` line, or None when it has none. The
    caller checks that the located parser reads that line as the top-level key."""
    found = list(_DOMAINS_LINE.finditer(text))
    if not found:
        return None
    if len(found) > 1:
        raise Unsupported("domains: twice")
    start = text.find("\n", found[0].end())
    if start < 0:
        return None
    start += 1
    after = _TOP_LEVEL_LINE.search(text, start)
    end = after.start() if after else len(text)
    blanked = text[:start] + "\n" * text.count("\n", start, end) + text[end:]
    return Cut(blanked, start, end, text.count("\n", 0, found[0].start()) + 1)


_SLICE = 1 << 20  # lines are split from the text a slice at a time, not all at once


def _lines(text: str, start: int, end: int) -> Iterator[str]:
    while start < end:
        stop = text.rfind("\n", start, min(start + _SLICE, end))
        stop = end if stop < 0 or start + _SLICE >= end else stop
        yield from text[start:stop].split("\n")
        start = stop + 1


def _flow(line: str, pos: int) -> tuple[dict[str, Any], int]:
    """The flow mapping opening at ``line[pos]`` (``{``), nested at most once more."""
    stack: list[dict[str, Any]] = [{}]
    expect = "key"
    key = ""
    pos += 1
    while True:
        token = _FLOW_TOKEN.match(line, pos)
        if token is None:
            raise Unsupported("flow")
        pos = token.end()
        mark, text = token.group("mark"), token.group("scalar")
        if mark == "}" and expect in ("key", "comma") and not (expect == "key" and stack[-1]):
            done = stack.pop()
            if not stack:
                return done, pos
            expect = "comma"
        elif mark == "," and expect == "comma":
            expect = "key"
        elif text is not None and expect == "key":
            key = scalar(text)
            if not isinstance(key, str) or key in stack[-1]:
                raise Unsupported("key")
            expect = "colon"
        elif mark == ":" and expect == "colon" and line[pos : pos + 1] == " ":
            expect = "value"
        elif expect == "value" and text is not None:
            stack[-1][key] = scalar(text)
            expect = "comma"
        elif expect == "value" and mark == "{" and len(stack) < 2:
            inner: dict[str, Any] = {}
            stack[-1][key] = inner
            stack.append(inner)
            expect = "key"
        else:
            raise Unsupported("flow")


def _value(line: str, match: re.Match[str]) -> Any:
    written = match.group("value")
    if written is None:
        return None
    if written[0] != "{":
        return scalar(written)
    start = match.start("value")
    simple = _SIMPLE_FLOW.fullmatch(line, start)
    if simple is not None:
        mapping: dict[str, Any] = {}
        for key_token, value_token in _PAIR.findall(line, start, simple.end(1)):
            key = scalar(key_token)
            if not isinstance(key, str) or key in mapping:
                raise Unsupported("key")
            mapping[key] = scalar(value_token)
        return mapping
    mapping, pos = _flow(line, start)
    if _FLOW_END.fullmatch(line, pos) is None:
        raise Unsupported("after flow")
    return mapping


def pack(line: int, column: int) -> int:
    """A place (line and column from 1) in one int: a quarter of a tuple's memory."""
    return line << 20 | column


def unpack(packed: int) -> tuple[int, int]:
    return packed >> 20, packed & 0xFFFFF


def entries(text: str, cut: Cut, places: dict[str, int]) -> Iterator[tuple[str, Any]]:
    """Each domain of the block of ``cut`` as (key as written, value), in file order;
    raises :class:`Unsupported` on anything outside the subset. ``places`` receives
    where each key is written (:func:`pack`), as the located parser would say."""
    seen = places
    stack: list[tuple[int, dict[str, Any]]] = []  # open block mappings, domain's first
    pending: tuple[int, dict[str, Any]] | None = None  # "key:" awaiting its block
    entry: tuple[str, dict[str, Any]] | None = None  # the domain being read
    top = -1
    for number, line in enumerate(_lines(text, cut.start, cut.end), cut.line + 1):
        content = line.lstrip(" ")
        if not content or content[0] == "#":
            continue
        indent = len(line) - len(content)
        match = _BLOCK_LINE.fullmatch(content)
        if match is None:
            raise Unsupported("line")
        key = match.group("key")
        if key[0] in _QUOTED_OR_TYPED:
            key = scalar(key)
            if not isinstance(key, str):
                raise Unsupported("key")
        value = _value(content, match)
        if pending is not None:
            if indent <= pending[0] or len(stack) >= MAX_LEVELS:
                raise Unsupported("empty value")
            stack.append((indent, pending[1]))
            pending = None
        while stack and indent < stack[-1][0]:
            stack.pop()
        if top < 0:
            top = indent
        if indent == top:
            if entry is not None:
                yield entry
                entry = None
            if key in seen or indent >= 0xFFFFF:
                raise Unsupported("duplicate domain")
            seen[key] = pack(number, indent + 1)
            stack = []
            if value is None:
                entry = (key, {})
                pending = (indent, entry[1])
            else:
                yield key, value
            continue
        if not stack or indent != stack[-1][0]:
            raise Unsupported("indent")
        mapping = stack[-1][1]
        if key in mapping:
            raise Unsupported("duplicate key")
        if value is None:
            child: dict[str, Any] = {}
            mapping[key] = child
            pending = (indent, child)
        else:
            mapping[key] = value
    if pending is not None or top < 0:
        raise Unsupported("empty value")  # a null, read by the located parser
    if entry is not None:
        yield entry

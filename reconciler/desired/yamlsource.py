"""Parse one YAML file safely, keeping the node tree to locate errors later.

The file is parsed once with ruamel.yaml's C-accelerated safe loader. The composed
node tree is kept, so any problem found afterwards (by the models or by cross-file
checks) can be pointed at ``file:line:column`` without parsing again.

Hostile input is refused before it can hurt: files over :data:`MAX_FILE_BYTES`,
nesting deeper than :data:`MAX_DEPTH` (the C composer recurses and would crash the
process on very deep input) and alias "bombs" whose expansion would dwarf the file.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from reconciler.errors import Diagnostic, InputError, Location

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64
# ruamel's C composer recurses once per nesting level. In a thread with this stack it
# is safe well beyond _SAFE_STRUCTURE_BOUND levels (measured: 100,000 levels fit in
# 256 MiB; 40,000 crash the default 8 MiB main-thread stack). The stack is reserved
# address space; only the pages a deep document touches are ever committed.
_COMPOSE_STACK_BYTES = 256 * 1024 * 1024
_SAFE_STRUCTURE_BOUND = 50_000
_MERGE_TAG = "tag:yaml.org,2002:merge"
_INDENT = re.compile(r"^ *", re.MULTILINE)
_FLOW_BRACKETS = re.compile(r"[\[\]{}]")
_COMPACT_SEQUENCES = re.compile(rf"(?:-[ \t]+){{{MAX_DEPTH}}}")

PathElement = str | int


def _alias_budget(raw_nodes: int) -> int:
    """How many nodes a file may expand to through aliases: generous for real reuse
    (``<<: *defaults`` in every domain), tiny next to an exponential alias bomb."""
    return 10 * raw_nodes + 10_000


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: its data (plain dicts, lists and scalars) and its node tree."""

    name: str
    data: Any
    root: Node
    _index: dict[int, dict[str, tuple[Node, Node]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def locate(self, path: Sequence[PathElement], *, key: bool = False) -> Location:
        """The place of the value at ``path`` (or of its key, with ``key=True``).

        Walks as far as the path exists and returns the deepest place found, so a
        path into a missing part still points at its nearest existing parent.
        """
        node = self.root
        mark = node.start_mark
        for element in path:
            child = self._child(node, element)
            if child is None:
                break
            key_node, node = child
            mark = node.start_mark
            if key and element is path[-1] and key_node is not None:
                mark = key_node.start_mark
        return Location(self.name, mark.line + 1, mark.column + 1)

    def _child(self, node: Node, element: PathElement) -> tuple[Node | None, Node] | None:
        if isinstance(node, MappingNode):
            # Indexed once per mapping, so locating every domain of a big file stays linear.
            index = self._index.get(id(node))
            if index is None:
                index = {}
                for key_node, value_node in node.value:
                    if isinstance(key_node, ScalarNode):
                        index.setdefault(key_node.value, (key_node, value_node))
                self._index[id(node)] = index
            return index.get(str(element))
        if (
            isinstance(node, SequenceNode)
            and isinstance(element, int)
            and 0 <= element < len(node.value)
        ):
            return None, node.value[element]
        return None


def _at(name: str, mark: Any) -> Location:
    if mark is None:
        return Location(name, 1, 1)
    return Location(name, mark.line + 1, mark.column + 1)


_HINTS = (
    (
        "cannot start any token",
        "indent with spaces, not tabs, and quote values that start with @ or `",
    ),
    ("mapping values are not allowed here", "quote a value that contains ': '"),
    ("expected a single document", "keep one document per file: remove the extra '---'"),
    (
        "could not determine a constructor for the tag",
        "remove the tag; a domains file uses plain YAML values",
    ),
)


def _syntax_error(name: str, exc: MarkedYAMLError) -> InputError:
    problem = exc.problem or exc.context or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    message = f"YAML syntax error: {problem}"
    if exc.context and exc.problem and exc.context_mark is not None:
        message += f" ({exc.context} at line {exc.context_mark.line + 1})"
    hint = next((h for needle, h in _HINTS if needle in message), "")
    return InputError.single(_at(name, mark), message, hint)


def _read_text(path: Path, name: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError.single(
                Location(name),
                f"file is {size / 2**20:.1f} MiB; mailctl reads files of at most "
                f"{MAX_FILE_BYTES // 2**20} MiB",
                "split the domains over several files in one folder",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError.single(Location(name), f"cannot read file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError.single(
            Location(name, line, column),
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            "save the file as UTF-8",
        ) from None
    _refuse_unprintable(text, name)
    return text


# What YAML 1.2 allows in a stream (its c-printable production), plus the BOM.
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL_NAMES = {0: "NUL", 0x1B: "ESC", 0x7F: "DEL"}


def _refuse_unprintable(text: str, name: str) -> None:
    """Refuse a character YAML does not allow, at its own line and column.

    The parser would report it at 1:1 with its internal offset; found here, the
    message can point at the character, which is often invisible in an editor.
    """
    found = _UNPRINTABLE.search(text)
    if found is None:
        return
    start = found.start()
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    code = ord(found.group())
    label = f"U+{code:04X}" + (f" ({_CONTROL_NAMES[code]})" if code in _CONTROL_NAMES else "")
    raise InputError.single(
        Location(name, line, column),
        f"the file contains the control character {label}, which YAML does not allow",
        "remove it: a domains file is plain text (the character may be invisible in an editor)",
    )


def _needs_scan(text: str) -> bool:
    """Whether the exact (slower) event scan must run before the C composer.

    Safety comes from a cheap upper bound on nesting depth: a flow level needs a
    bracket, a block sequence level a dash, an explicit key a question mark, and a block
    mapping nested in another is indented further. Below the bound the C composer is
    safe. The other tests only catch honestly deep files early, so they get the clear
    "deeper than 64 levels" message; a file that dodges them is still safe.
    """
    if "&" in text:  # anchors: aliases must be counted
        return True
    deepest_indent = max((len(m) for m in _INDENT.findall(text)), default=0)
    if deepest_indent > MAX_DEPTH:
        return True
    if sum(text.count(c) for c in "[{-?") + deepest_indent + 1 > _SAFE_STRUCTURE_BOUND:
        return True
    depth = deepest = 0
    for bracket in _FLOW_BRACKETS.findall(text):
        depth = depth + 1 if bracket in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest > MAX_DEPTH or _COMPACT_SEQUENCES.search(text) is not None


def _scan_events(yaml: YAML, text: str, name: str) -> None:
    """Refuse deep nesting and alias bombs, from the parser's event stream alone."""
    depth = 0
    raw = expanded = 0
    sizes: dict[str, int] = {}
    starts: list[tuple[str | None, int]] = []
    for event in yaml.parse(text):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError.single(
                    _at(name, event.start_mark),
                    f"nesting is deeper than {MAX_DEPTH} levels",
                    "a domains file needs a handful of levels; check for runaway brackets",
                )
            starts.append((event.anchor, expanded))
            raw += 1
            expanded += 1
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
            anchor, start = starts.pop()
            if anchor is not None:
                sizes[anchor] = expanded - start
        elif isinstance(event, ScalarEvent):
            raw += 1
            expanded += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, AliasEvent):
            raw += 1
            expanded += sizes.get(event.anchor, 1)
            if expanded > _alias_budget(raw) + 10 * MAX_FILE_BYTES:
                raise _alias_bomb(name, event, expanded)
    if expanded > _alias_budget(raw):
        raise _alias_bomb(name, None, expanded)


def _alias_bomb(name: str, event: Any, expanded: int) -> InputError:
    return InputError.single(
        _at(name, event.start_mark if event is not None else None),
        f"aliases expand this file to at least {expanded:,} values",
        "this looks like an alias bomb; use anchors and aliases only for small, "
        "shared blocks such as defaults",
    )


def _duplicates(name: str, root: Node) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[str, Node] = {}
            for key_node, value_node in node.value:
                stack.append(value_node)
                if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                    continue
                if key_node.value in first:
                    earlier = first[key_node.value].start_mark
                    found.append(
                        Diagnostic(
                            _at(name, key_node.start_mark),
                            f"duplicate key {key_node.value!r} (first defined at line "
                            f"{earlier.line + 1})",
                            "a key may appear once per mapping: remove one or merge them",
                        )
                    )
                else:
                    first[key_node.value] = key_node
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return found


def _core_resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    """Plain-scalar types: the YAML 1.2 core schema, integers in decimal only.

    ruamel's own "1.2" rules go beyond the core schema (``9_93``, ``0b1``, ``01715``
    and dates resolve as numbers and timestamps), and a YAML 1.1 reader takes ``yes``,
    ``1:30`` or ``01715`` for yet other values. Resolving only forms that every reader
    agrees on leaves the rest as text, which the models then refuse where a number or
    a boolean belongs: a reviewer never has to know which reader sees what.
    ``0x``/``0o`` integers are core 1.2 but text in 1.1, so they are text here too.
    """
    rules: list[tuple[str, str, str]] = [
        ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", "~nN"),
        ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
        ("tag:yaml.org,2002:int", r"[-+]?(?:0|[1-9][0-9]*)", "-+0123456789"),
        (
            "tag:yaml.org,2002:float",
            r"[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            "-+0123456789.",
        ),
        (_MERGE_TAG, r"<<", "<"),
    ]
    table: dict[Any, list[tuple[str, re.Pattern[str]]]] = {"": []}
    for tag, pattern, first in rules:
        compiled = re.compile(rf"^(?:{pattern})$")
        for char in first:
            table.setdefault(char, []).append((tag, compiled))
    table[""].append(("tag:yaml.org,2002:null", re.compile("^$")))
    return table


_CORE_RESOLVERS = _core_resolvers()


class _CoreResolver(VersionedResolver):
    """The YAML 1.2 core schema (see :func:`_core_resolvers`), whatever the file says."""

    @property
    def versioned_resolver(self) -> Any:
        return _CORE_RESOLVERS

    @property
    def processing_version(self) -> Any:
        # The stock property looks the version up through attributes the C parser
        # lacks, raising and catching two exceptions per scalar.
        return (1, 2)


def _compose_in_big_stack(yaml: YAML, text: str) -> Node | None:
    result: list[Node | None] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(yaml.compose(text))
        except BaseException as exc:  # re-raised in the calling thread
            failure.append(exc)

    with _STACK_SIZE_LOCK:
        previous = threading.stack_size(_COMPOSE_STACK_BYTES)
        try:
            worker = threading.Thread(target=run, name="mailctl-yaml-compose")
            worker.start()
        finally:
            threading.stack_size(previous)
    worker.join()
    if failure:
        raise failure[0]
    return result[0]


_STACK_SIZE_LOCK = threading.Lock()


def _compose(text: str, name: str, *, pure: bool) -> tuple[YAML, Node | None]:
    yaml = YAML(typ="safe", pure=pure)
    yaml.Resolver = _CoreResolver
    # The pure parser recurses in Python (RecursionError past ~1,000 levels), so it
    # always gets the exact depth check; the C path only when the bound is high.
    if pure or _needs_scan(text):
        _scan_events(yaml, text, name)
    if pure:
        return yaml, yaml.compose(text)
    return yaml, _compose_in_big_stack(yaml, text)


def parse_file(path: Path, name: str | None = None) -> YamlDocument:
    """Parse ``path``; raise :class:`InputError` naming the place of any problem."""
    name = name or str(path)
    text = _read_text(path, name)
    try:
        yaml, root = _compose(text, name, pure=False)
    except MarkedYAMLError:
        # The C scanner is stricter than YAML 1.2 in places (it refuses an IPv6 range
        # such as 2001:db8::/48 inside [flow, brackets]); the pure-Python parser is the
        # reference, so it decides, at its own (slower) pace.
        try:
            yaml, root = _compose(text, name, pure=True)
        except MarkedYAMLError as exc:
            raise _syntax_error(name, exc) from None
        except YAMLError as exc:
            raise InputError.single(Location(name, 1, 1), f"YAML error: {exc}") from None
    except YAMLError as exc:
        raise InputError.single(Location(name, 1, 1), f"YAML error: {exc}") from None
    if root is None:
        raise InputError.single(
            Location(name, 1, 1),
            "file is empty",
            "a domains file is a mapping that starts with 'version: 1'",
        )
    try:
        data = yaml.constructor.construct_document(root)
    except DuplicateKeyError:
        raise InputError(_duplicates(name, root)) from None
    except MarkedYAMLError as exc:
        raise _syntax_error(name, exc) from None
    return YamlDocument(name, data, root)

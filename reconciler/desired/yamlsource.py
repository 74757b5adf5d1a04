"""Parse one YAML file safely, keeping the node tree to locate errors later.

The file is parsed once with ruamel.yaml's C-accelerated safe loader. The composed
node tree is kept, so any problem found afterwards (by the models or by cross-file
checks) can be pointed at ``file:line:column`` without parsing again.

Hostile input is refused before it can hurt: oversized or non-UTF-8 text in
:mod:`~reconciler.desired.yaml_text`, deep nesting and alias bombs in
:mod:`~reconciler.desired.yaml_guards`. Plain scalars take their types from the YAML 1.2
core schema (:mod:`~reconciler.desired.yaml_types`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.desired.yaml_guards import (
    anchors_may_repeat,
    compose_in_big_stack,
    mark_location,
    needs_scan,
    scan_events,
)
from reconciler.desired.yaml_text import read_text
from reconciler.desired.yaml_types import MERGE_TAG, CoreResolver
from reconciler.errors import Diagnostic, InputError, Location

PathElement = str | int


class Locator(Protocol):
    """Something that says where a path of a file's data is written."""

    def locate(self, path: Sequence[PathElement], *, key: bool = False) -> Location: ...


class LazyDocument:
    """A file read without positions: its node tree is parsed on the first
    :meth:`locate`, so a big file that needs no place never holds one."""

    def __init__(self, path: Path, name: str) -> None:
        self._path = path
        self._name = name
        self._doc: YamlDocument | None = None

    def locate(self, path: Sequence[PathElement], *, key: bool = False) -> Location:
        if self._doc is None:
            self._doc = parse_file(self._path, self._name)
        return self._doc.locate(path, key=key)


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
    return InputError.single(mark_location(name, mark), message, hint)


class DuplicateKeys(InputError):
    """Keys written twice in one mapping. ``document`` is the file read with only the
    first of each such key, so the caller can still find the file's other errors."""

    def __init__(self, diagnostics: list[Diagnostic], document: YamlDocument) -> None:
        super().__init__(diagnostics)
        self.document = document


def _duplicates(name: str, root: Node) -> list[Diagnostic]:
    """Every key written again in its mapping, located; the later pairs are removed
    from the tree as they are found (the first of each key stays: the one
    :meth:`YamlDocument.locate` finds)."""
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
            kept = []
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == MERGE_TAG:
                    kept.append((key_node, value_node))
                    stack.append(value_node)
                    continue
                if key_node.value in first:
                    earlier = first[key_node.value].start_mark
                    found.append(
                        Diagnostic(
                            mark_location(name, key_node.start_mark),
                            f"duplicate key {key_node.value!r} (first defined at line "
                            f"{earlier.line + 1})",
                            "a key may appear once per mapping: remove one or merge them",
                        )
                    )
                else:
                    first[key_node.value] = key_node
                    kept.append((key_node, value_node))
                    stack.append(value_node)
            node.value = kept
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return found


def _compose(text: str, name: str, *, pure: bool) -> tuple[YAML, Node | None]:
    with anchors_may_repeat():
        return _composed(text, name, pure=pure)


def _composed(text: str, name: str, *, pure: bool) -> tuple[YAML, Node | None]:
    yaml = YAML(typ="safe", pure=pure)
    yaml.Resolver = CoreResolver
    # The pure parser recurses in Python (RecursionError past ~1,000 levels), so it
    # always gets the exact depth check; the C path only when the bound is high.
    if pure or needs_scan(text):
        scan_events(yaml, text, name)
    if pure:
        return yaml, yaml.compose(text)
    return yaml, compose_in_big_stack(yaml, text)


def parse_file(path: Path, name: str | None = None) -> YamlDocument:
    """Parse ``path``; raise :class:`InputError` naming the place of any problem
    (:class:`DuplicateKeys`, carrying the file read without the repeated keys, when a
    mapping repeats a key)."""
    name = name or str(path)
    return parse_text(read_text(path, name), name)


def parse_text(text: str, name: str) -> YamlDocument:
    """Parse ``text`` read from the file ``name``, as :func:`parse_file` does."""
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
        duplicates = _duplicates(name, root)  # and the tree keeps the first of each
        try:
            again = YAML(typ="safe", pure=True).constructor.construct_document(root)
        except MarkedYAMLError as exc:
            raise InputError([*duplicates, *_syntax_error(name, exc).diagnostics]) from None
        raise DuplicateKeys(duplicates, YamlDocument(name, again, root)) from None
    except MarkedYAMLError as exc:
        raise _syntax_error(name, exc) from None
    return YamlDocument(name, data, root)

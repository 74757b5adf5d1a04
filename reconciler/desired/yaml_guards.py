"""Hostile structure refused before it can hurt: nesting deeper than :data:`MAX_DEPTH`
(the C composer recurses and would crash the process on very deep input) and alias
"bombs" whose expansion would dwarf the file. A cheap bound decides whether the exact
event scan must run; the C composer runs in a thread with a big stack, so even a file
that dodges the bound cannot overflow it."""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import ReusedAnchorWarning
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
)
from ruamel.yaml.nodes import Node

from reconciler.desired.yaml_text import MAX_FILE_BYTES
from reconciler.errors import InputError, Location

MAX_DEPTH = 64


@contextmanager
def anchors_may_repeat() -> Iterator[None]:
    """YAML lets an anchor be defined again (an alias names the latest definition);
    ruamel.yaml still warns through Python's warnings, which would print its own
    source lines on stderr, or fail under ``-W error``. Within this block it does not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReusedAnchorWarning)
        yield


# ruamel's C composer recurses once per nesting level. In a thread with this stack it
# is safe well beyond _SAFE_STRUCTURE_BOUND levels (measured: 100,000 levels fit in
# 256 MiB; 40,000 crash the default 8 MiB main-thread stack). The stack is reserved
# address space; only the pages a deep document touches are ever committed.
_COMPOSE_STACK_BYTES = 256 * 1024 * 1024
_SAFE_STRUCTURE_BOUND = 50_000
_INDENT = re.compile(r"^ *", re.MULTILINE)
_FLOW_BRACKETS = re.compile(r"[\[\]{}]")
_COMPACT_SEQUENCES = re.compile(rf"(?:-[ \t]+){{{MAX_DEPTH}}}")


def _alias_budget(raw_nodes: int) -> int:
    """How many nodes a file may expand to through aliases: generous for real reuse
    (``<<: *defaults`` in every domain), tiny next to an exponential alias bomb."""
    return 10 * raw_nodes + 10_000


def mark_location(name: str, mark: Any) -> Location:
    """The place of a parser mark (line and column from 1); the file's start without one."""
    if mark is None:
        return Location(name, 1, 1)
    return Location(name, mark.line + 1, mark.column + 1)


def needs_scan(text: str) -> bool:
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


def scan_events(yaml: YAML, text: str, name: str) -> None:
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
                    mark_location(name, event.start_mark),
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
        mark_location(name, event.start_mark if event is not None else None),
        f"aliases expand this file to at least {expanded:,} values",
        "this looks like an alias bomb; use anchors and aliases only for small, "
        "shared blocks such as defaults",
    )


def compose_in_big_stack(yaml: YAML, text: str) -> Node | None:
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

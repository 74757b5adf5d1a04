"""Which type a plain YAML scalar has: the YAML 1.2 core schema, integers in decimal
only, whatever version the file declares. Forms that YAML readers disagree on stay text,
so the models refuse them where a number or a boolean belongs."""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.resolver import VersionedResolver

MERGE_TAG = "tag:yaml.org,2002:merge"


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
        (MERGE_TAG, r"<<", "<"),
    ]
    table: dict[Any, list[tuple[str, re.Pattern[str]]]] = {"": []}
    for tag, pattern, first in rules:
        compiled = re.compile(rf"^(?:{pattern})$")
        for char in first:
            table.setdefault(char, []).append((tag, compiled))
    table[""].append(("tag:yaml.org,2002:null", re.compile("^$")))
    return table


_CORE_RESOLVERS = _core_resolvers()


def core_first_chars() -> set[str]:
    """The first characters of every plain scalar the core table types (others are text)."""
    return {char for char in _CORE_RESOLVERS if char}


def core_tag(plain: str) -> str | None:
    """The type (``null``, ``bool``, ``int``, ``float``, ``merge``) the core table gives
    the plain scalar ``plain``, the same rule :class:`CoreResolver` applies; None for text."""
    for tag, pattern in _CORE_RESOLVERS.get(plain[:1], ()):
        if pattern.match(plain):
            return tag.rpartition(":")[2]
    return None


class CoreResolver(VersionedResolver):
    """The YAML 1.2 core schema (see :func:`_core_resolvers`), whatever the file says."""

    @property
    def versioned_resolver(self) -> Any:
        return _CORE_RESOLVERS

    @property
    def processing_version(self) -> Any:
        # The stock property looks the version up through attributes the C parser
        # lacks, raising and catching two exceptions per scalar.
        return (1, 2)

"""What a load returns: the desired state, its files, its warnings, and where each
domain is written (located only when asked)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from reconciler.desired.model import Desired
from reconciler.desired.yamlsource import Locator
from reconciler.errors import Diagnostic, Location


class Places(Mapping[str, Location]):
    """Where each domain is written, located only when asked: a plan of a big file
    needs the places of its few changed domains, not of all of them."""

    def __init__(self) -> None:
        self._written: dict[str, tuple[Locator, str]] = {}

    def add(self, name: str, doc: Locator, raw_key: str) -> None:
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

"""What the loader collects while it judges the files of a desired state: each file
parsed with its YAML document, and the errors and warnings found so far, each at its
place. The loader raises every error together at the end, so one run names them all."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.desired.spec import DomainsFile
from reconciler.desired.yamlsource import YamlDocument
from reconciler.errors import Diagnostic, Location, Severity


@dataclass
class Parsed:
    """One domains file: its YAML document (for places) and its validated content.

    A file that failed the schema carries only its valid parts in ``spec``
    (:mod:`~reconciler.desired.salvage`); then ``domain_keys`` lists every domain key
    as written (in file order, valid entries or not), ``feed_indexes`` where each of
    ``spec``'s feeds is written in the file's list, and ``broken`` the top-level keys
    that had errors."""

    doc: YamlDocument
    spec: DomainsFile
    domain_keys: tuple[str, ...] | None = None
    feed_indexes: tuple[int, ...] | None = None
    broken: frozenset[str] = field(default_factory=frozenset)

    def written_domains(self) -> tuple[str, ...]:
        """Every domain key of the file, in the order written."""
        return tuple(self.spec.domains) if self.domain_keys is None else self.domain_keys

    def feed_index(self, position: int) -> int:
        """Where the feed at ``position`` of ``spec`` is written in the file's list."""
        return position if self.feed_indexes is None else self.feed_indexes[position]


class Findings:
    """Errors and warnings, in the order found; the loader sorts them for display."""

    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def error(self, place: Location, message: str, hint: str = "") -> None:
        self.errors.append(Diagnostic(place, message, hint))

    def warn(self, place: Location, message: str, hint: str = "") -> None:
        self.warnings.append(Diagnostic(place, message, hint, Severity.WARNING))

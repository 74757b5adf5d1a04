"""What the loader collects while it judges the files of a desired state: each file
parsed with its YAML document, and the errors and warnings found so far, each at its
place. The loader raises every error together at the end, so one run names them all."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.desired.spec import DomainsFile
from reconciler.desired.yamlsource import YamlDocument
from reconciler.errors import Diagnostic, Location, Severity


@dataclass
class Parsed:
    """One domains file: its YAML document (for places) and its validated content."""

    doc: YamlDocument
    spec: DomainsFile


class Findings:
    """Errors and warnings, in the order found; the loader sorts them for display."""

    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def error(self, place: Location, message: str, hint: str = "") -> None:
        self.errors.append(Diagnostic(place, message, hint))

    def warn(self, place: Location, message: str, hint: str = "") -> None:
        self.warnings.append(Diagnostic(place, message, hint, Severity.WARNING))

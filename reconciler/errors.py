"""Typed, located diagnostics.

Every problem found in a user's input becomes a :class:`Diagnostic` that names the
place (``file:line:column``), says what is wrong and, where we know it, what to do.
Code that finds problems collects them and raises one :class:`InputError` carrying
all of them, so a run reports every error at once instead of one per attempt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A place in a file. ``line`` and ``column`` are 1-based; 0 means "unknown"."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    location: Location
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.file, self.location.line, self.location.column, self.message)

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


def sorted_diagnostics(items: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(items), key=Diagnostic.sort_key)


class MailctlError(Exception):
    """Base of every error that mailctl reports to a user as an expected failure."""


class InputError(MailctlError):
    """The user's input is wrong. Carries every diagnostic found, sorted by place."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted_diagnostics(diagnostics)
        if not self.diagnostics:
            raise ValueError("InputError needs at least one diagnostic")
        super().__init__(str(self.diagnostics[0]))

    @classmethod
    def single(cls, location: Location, message: str, hint: str = "") -> InputError:
        return cls([Diagnostic(location, message, hint)])


class Blocked(MailctlError):
    """An apply was refused by a gate (exit code 4): stale, or a gate without override."""


def not_ours(path: str, count: int, instead: str, manifest: str) -> InputError:
    """A writer would replace ``path`` (and ``count`` - 1 more such files), which its
    manifest does not list: it stops before writing anything."""
    return InputError.single(
        Location(path),
        f"exists and was not written by mailctl ({count} such file"
        f"{'s' if count > 1 else ''}); nothing was written",
        f"move it away, or {instead} into another folder (--out); "
        f"mailctl lists the files it wrote in {manifest}",
    )

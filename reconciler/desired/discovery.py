"""Which files a desired state is read from: one domains file, or every ``*.yaml`` and
``*.yml`` file below a folder (sorted, hidden files and folders skipped), never a file
that a link in the folder points at outside it. Reads names only, no file's content."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import Diagnostic, InputError, Location

SUFFIXES = (".yaml", ".yml")


def discover(path: Path) -> list[Path]:
    """The files to read: ``path`` itself, or every ``*.yaml``/``*.yml`` below it
    (recursively, in sorted order, skipping hidden files and folders)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*")
            if p.suffix in SUFFIXES
            and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        _refuse_links_out(path, found)
        if not found:
            raise InputError.single(
                Location(str(path)),
                "folder holds no *.yaml or *.yml files",
                "point mailctl at a domains file or a folder of them",
            )
        return found
    raise InputError.single(Location(str(path)), "no such file or folder")


def _refuse_links_out(folder: Path, files: list[Path]) -> None:
    """A folder of domains files may come from a pull request: a file in it that is a
    link to somewhere outside it (a runner's key, /etc/passwd) is never read, so no
    parse error can quote what it points at."""
    inside = folder.resolve()
    outside = [f for f in files if not f.resolve().is_relative_to(inside)]
    if outside:
        raise InputError(
            Diagnostic(
                Location(str(f)),
                "is a link to a file outside the folder being read; it was not read",
                "put the domains file itself in the folder, or point mailctl at it directly",
            )
            for f in outside
        )

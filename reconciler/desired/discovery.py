"""Which files a desired state is read from: one domains file, or every ``*.yaml`` and
``*.yml`` file below a folder (sorted, hidden files and folders skipped), never a file
that a link in the folder points at outside it. Reads names only, no file's content."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import Diagnostic, InputError, Location

SUFFIXES = (".yaml", ".yml")


def discover(path: Path, refused: list[Diagnostic] | None = None) -> list[Path]:
    """The files to read: ``path`` itself, or every ``*.yaml``/``*.yml`` below it
    (recursively, in sorted order, skipping hidden files and folders).

    A file that links out of the folder is never returned: it is an error, raised at
    once, or added to ``refused`` when given, so the caller can judge the other files
    in the same run."""
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
        outside = _links_out(path, found)
        if outside and refused is None:
            raise InputError(outside)
        if outside and refused is not None:
            refused.extend(outside)
            return [f for f in found if not any(d.location.file == str(f) for d in outside)]
        if not found:
            raise InputError.single(
                Location(str(path)),
                "folder holds no *.yaml or *.yml files",
                "point mailctl at a domains file or a folder of them",
            )
        return found
    raise InputError.single(Location(str(path)), "no such file or folder")


def _links_out(folder: Path, files: list[Path]) -> list[Diagnostic]:
    """A folder of domains files may come from a pull request: a file in it that is a
    link to somewhere outside it (a runner's key, /etc/passwd) is never read, so no
    parse error can quote what it points at."""
    inside = folder.resolve()
    return [
        Diagnostic(
            Location(str(f)),
            "is a link to a file outside the folder being read; it was not read",
            "put the domains file itself in the folder, or point mailctl at it directly",
        )
        for f in files
        if not f.resolve().is_relative_to(inside)
    ]

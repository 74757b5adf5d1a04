"""The import rules of the package, read from its source with ``ast``.

The pipeline's core (``reconciler.desired``, ``reconciler.plan``, ``reconciler.render``)
is pure: it imports nothing that talks to a store, the network, an output folder or a
terminal, so it can be read, tested and reused (a CLI, an HTTP service) on its own.
The command line parses, calls a use case and picks a view: it reaches the store and
the network only through the use cases.

Every import counts, wherever it is written: at the top of a module, inside a function
(a lazy import is still a dependency) or under ``if TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"

CORE = ("reconciler.desired", "reconciler.plan", "reconciler.render")

# What the core must never import: the edges of the package, and the libraries and
# standard modules that do their I/O.
EDGES = (
    "reconciler.store",
    "reconciler.net",
    "reconciler.checks",
    "reconciler.mailbox",
    "reconciler.output",
    "reconciler.app",
    "reconciler.cli",
    "reconciler.serve",
    "reconciler.allowlist.fetch",
    "reconciler.allowlist.download",
    "click",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "socket",
    "ssl",
    "asyncio",
    "anyio",
    "starlette",
    "uvicorn",
    "jinja2",
    "urllib.request",
)

CLI = ("reconciler.cli",)

# The use cases serve every front end: none of them may need a terminal's library.
APP = ("reconciler.app",)
APP_FORBIDDEN = ("click", "reconciler.cli", "reconciler.serve")

# What the command line must not import itself: it asks a use case instead.
CLI_FORBIDDEN = ("reconciler.store", "reconciler.net", "reconciler.checks", "reconciler.mailbox")

# The HTTP service reads the store and answers; it never writes settings, checks
# servers or drives a terminal. (The inbox endpoints may write inboxes, through
# reconciler.app.inbox.)
SERVE = ("reconciler.serve",)
SERVE_FORBIDDEN = (
    "click",
    "reconciler.cli",
    "reconciler.checks",
    "reconciler.mailbox",
    "reconciler.net",
    "reconciler.output",
    "reconciler.app.apply",
    "reconciler.app.rollback",
    "reconciler.app.store_write",
)

Pair = tuple[str, str]

# Offences that exist today, as (importing module, imported module). The tests fail
# for any offence not listed here, and for an entry that no longer offends, so these
# lists can only shrink.

# The text renderers colour their output with ``click.style``: pure string work, but
# it ties the core to the CLI's library. Goes when the renderers style with their own
# few ANSI codes.
CORE_KNOWN_OFFENCES: frozenset[Pair] = frozenset()

# Each is a use case still written inside a command, or the options of one built by
# the CLI; an entry goes when that use case moves behind the application layer.
CLI_KNOWN_OFFENCES: frozenset[Pair] = frozenset()


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    file: str
    line: int

    def where(self) -> str:
        return f"{self.file}:{self.line}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    """Whether ``name`` is a module or package of ``reconciler`` (not a name in one)."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_in(source: str, importer: str, file: str, is_package: bool) -> Iterator[Import]:
    """Every module ``source`` imports, as an absolute name. ``from p import n`` is an
    import of ``p.n`` when that is a module of the package, else of ``p``."""
    for node in ast.walk(ast.parse(source, filename=file)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(importer, alias.name, file, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = importer.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            targets = {f"{base}.{a.name}" for a in node.names if is_module(f"{base}.{a.name}")}
            if len(targets) < len(node.names):
                targets.add(base)
            for target in sorted(targets):
                yield Import(importer, target, file, node.lineno)


def all_imports() -> list[Import]:
    found: list[Import] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        file = str(path.relative_to(PACKAGE.parent))
        is_package = path.name == "__init__.py"
        found.extend(imports_in(path.read_text(), module_name(path), file, is_package))
    return found


def under(name: str, prefixes: tuple[str, ...]) -> str | None:
    """The prefix that ``name`` is, or is inside of; None if none."""
    for prefix in prefixes:
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    return None


def test_the_rules_see_the_whole_package() -> None:
    found = all_imports()
    importers = {i.importer for i in found}
    assert {"reconciler.desired.loader", "reconciler.plan.document"} <= importers
    assert any(i.imported == "reconciler.plan.evidence" for i in found)


def test_relative_and_lazy_imports_are_seen() -> None:
    # A relative import, or one inside a function, must not slip past the rules.
    source = (
        "from ..store import base\n"
        "from . import gates, diff\n"
        "def later():\n"
        "    import ssl\n"
        "    from reconciler.desired.model import Domain\n"
    )
    found = sorted(
        (i.line, i.imported) for i in imports_in(source, "reconciler.plan.x", "x.py", False)
    )
    assert [(name, line) for line, name in found] == [
        ("reconciler.store.base", 1),
        ("reconciler.plan.diff", 2),
        ("reconciler.plan.gates", 2),
        ("ssl", 4),
        ("reconciler.desired.model", 5),
    ]


def offences(importers: tuple[str, ...], forbidden: tuple[str, ...]) -> dict[Pair, list[Import]]:
    """Imports by a module under ``importers`` of one under ``forbidden``, by pair."""
    found: dict[Pair, list[Import]] = {}
    for i in all_imports():
        if under(i.importer, importers) and under(i.imported, forbidden):
            found.setdefault((i.importer, i.imported), []).append(i)
    return found


def new_offences(found: dict[Pair, list[Import]], known: frozenset[Pair], rule: str) -> str:
    return "\n".join(
        f"{i.where()}: {i.importer} imports {i.imported}: {rule}"
        for pair, imports in sorted(found.items())
        if pair not in known
        for i in imports
    )


def stale(found: dict[Pair, list[Import]], known: frozenset[Pair], name: str) -> str:
    gone = sorted(known - set(found))
    return "; ".join(f"{a} no longer imports {b}: remove it from {name}" for a, b in gone)


def test_an_offence_is_reported_with_its_place() -> None:
    source = "import json\n\nfrom sqlalchemy import select\n"
    imports = imports_in(source, "reconciler.plan.x", "reconciler/plan/x.py", False)
    found: dict[Pair, list[Import]] = {}
    for i in imports:
        if under(i.imported, EDGES):
            found.setdefault((i.importer, i.imported), []).append(i)
    assert new_offences(found, frozenset(), "no") == (
        "reconciler/plan/x.py:3: reconciler.plan.x imports sqlalchemy: no"
    )
    assert new_offences(found, frozenset({("reconciler.plan.x", "sqlalchemy")}), "no") == ""


def test_the_core_imports_no_edge() -> None:
    found = offences(CORE, EDGES)
    rule = "the core imports no edge; do the I/O at an edge and pass values in"
    message = new_offences(found, CORE_KNOWN_OFFENCES, rule)
    assert not message, message


def test_the_cli_imports_no_store_and_no_network() -> None:
    found = offences(CLI, CLI_FORBIDDEN)
    rule = "the command line reaches the store and the network only through a use case"
    message = new_offences(found, CLI_KNOWN_OFFENCES, rule)
    assert not message, message


def test_the_use_cases_import_no_face() -> None:
    found = offences(APP, APP_FORBIDDEN)
    rule = "a use case returns a value and never prints; a face (cli, serve) shows it"
    message = new_offences(found, frozenset(), rule)
    assert not message, message
    assert {i.importer for i in all_imports() if under(i.importer, APP)} >= {
        "reconciler.app.allowlist",
        "reconciler.app.autoconfig",
        "reconciler.app.inbox",
        "reconciler.app.inspect",
        "reconciler.app.plan",
        "reconciler.app.apply",
    }


def test_the_service_reads_and_answers_only() -> None:
    found = offences(SERVE, SERVE_FORBIDDEN)
    rule = "the HTTP service reads the store and answers; it never applies, checks or prints"
    message = new_offences(found, frozenset(), rule)
    assert not message, message
    assert {i.importer for i in all_imports() if under(i.importer, SERVE)} >= {
        "reconciler.serve.app",
        "reconciler.serve.snapshot",
        "reconciler.serve.poller",
    }


def test_every_known_offence_still_exists() -> None:
    # So the lists only shrink: an offence fixed is an entry to delete.
    message = stale(offences(CORE, EDGES), CORE_KNOWN_OFFENCES, "CORE_KNOWN_OFFENCES")
    message += "; " if message else ""
    message += stale(offences(CLI, CLI_FORBIDDEN), CLI_KNOWN_OFFENCES, "CLI_KNOWN_OFFENCES")
    assert not message, message


def test_no_test_module_imports_another() -> None:
    # Shared helpers live in support modules (conftest, *_support, harness, ...): a test
    # module imported by another runs its tests twice and ties the two together.
    tests = Path(__file__).resolve().parent
    found = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_"):
                    found.append(f"{path.relative_to(tests.parent)}:{node.lineno}: {name}")
    assert not found, "a test module imports another: " + "; ".join(found)

"""Write allowlist files into a folder: atomically, only when their content changes, and
removing only files that mailctl itself wrote there.

The folder holds a manifest (``.mailctl-allowlist.json``) of every file mailctl wrote,
with the rules checksum, lineage and serial each was rendered from. It serves three ends:

* **unchanged files stay untouched.** A file's header names the serial it was made at,
  so a later apply that changes other domains would change every header. When the rules
  a file expresses (its checksum) and the store's lineage are what the manifest recorded,
  the file is rendered again *as of the recorded serial*; equal bytes on disk are left
  alone (mtime kept), so Git and the firewall tooling see real changes only. A file
  edited by hand no longer matches and is restored.
* **removal is safe.** Files of domains that no longer use static IPs are removed only
  when the manifest lists them; a file mailctl did not write is never deleted, nor
  overwritten: a run that would overwrite one stops before writing anything.
* **a crash loses nothing.** The manifest is written first with old and new files
  together, then each file atomically, then stale files are removed and the manifest
  is written again: whatever moment a run dies at, every file mailctl wrote is listed.

Two runs on one folder are kept apart by an exclusive lock on
``.<folder name>.mailctl-allowlist.lock`` beside the folder, in its parent: the folder
is what gets published, the lock is not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reconciler.allowlist.formats import FORMATS, Format
from reconciler.allowlist.rules import Allowlist, Origin
from reconciler.errors import InputError, Location, MailctlError
from reconciler.output import managed

MANIFEST = ".mailctl-allowlist.json"
LOCK = ".mailctl-allowlist.lock"  # the suffix of the lock file beside the folder
MANIFEST_FORMAT = 1
COMBINED = "all"


@dataclass(frozen=True)
class Entry:
    """What the manifest records of one (format, domain or combined) rendering."""

    files: tuple[str, ...]
    checksum: str
    lineage: str | None
    serial: int
    kind: str

    def as_json(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "checksum": self.checksum,
            "lineage": self.lineage,
            "serial": self.serial,
            "origin": self.kind,
        }


@dataclass(frozen=True)
class Report:
    """What a write did, file names relative to the folder."""

    written: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def describe(self) -> str:
        return (
            f"{len(self.written)} written, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed"
        )


def _key(fmt: str, stem: str) -> str:
    return f"{fmt}:{stem}"


def _read_manifest(path: Path, raw: bytes | None) -> dict[str, Entry]:
    if raw is None:
        return {}
    fix = "it is mailctl's record of the files it wrote; restore it, or empty the folder"
    try:
        data = json.loads(raw.decode("utf-8"))
        if data.get("format") != MANIFEST_FORMAT:
            raise InputError.single(
                Location(str(path)),
                f"manifest format {data.get('format')!r} is not one this mailctl reads",
                "upgrade mailctl, or write the allowlists into another folder",
            )
        return {
            key: Entry(
                files=_ours(key, _names(value["files"])),
                checksum=str(value["checksum"]),
                lineage=value["lineage"],
                serial=int(value["serial"]),
                kind=str(value["origin"]),
            )
            for key, value in data["entries"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError.single(Location(str(path)), "manifest is damaged", fix) from None


def _names(files: object) -> tuple[str, ...]:
    """The file names of a manifest entry: plain names inside the folder, or the
    manifest is damaged (it is read from a folder that a pull request may edit, and
    names in it are removed: a path must never lead elsewhere)."""
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ValueError("files must be a list of names")
    for name in files:
        if not name or name.startswith(".") or "/" in name or "\0" in name:
            raise ValueError(f"{name!r} is not a file name of this folder")
    return tuple(files)


def _ours(key: str, files: tuple[str, ...]) -> tuple[str, ...]:
    """The names of ``files`` that the writer could have written under ``key``
    (``format:stem``). Others (``README.md``, a name a pull request added) are dropped:
    never counted as mailctl's, so never removed nor replaced."""
    fmt, _, stem = key.partition(":")
    known = FORMATS.get(fmt)
    possible = known.file_names(stem) if known is not None else frozenset()
    return managed.owned(files, possible.__contains__)


def _manifest_bytes(entries: dict[str, Entry]) -> bytes:
    """``json.dumps(body, indent=2, sort_keys=True)`` of the manifest, an entry at a
    time: a tree of every entry's dictionary, and the pure-Python encoder's many small
    pieces of it (``indent`` takes it off the C encoder), cost 12 MB more at the peak
    per 10,000 domains, and twice the time. A test holds the bytes to the whole's."""
    body = {
        "entries": {},
        "format": MANIFEST_FORMAT,
        "note": "files written by mailctl allowlist; mailctl removes only these",
    }
    text = json.dumps(body, indent=2, sort_keys=True)
    if entries:
        members = ",\n".join(_entry_json(key, entries[key]) for key in sorted(entries))
        text = text.replace('"entries": {}', '"entries": {\n' + members + "\n  }", 1)
    return (text + "\n").encode()


def _entry_json(key: str, entry: Entry) -> str:
    """One member of the manifest's ``entries`` as ``json.dumps(indent=2)`` lays it out
    at that depth: keys sorted, every value a string, a number, null or a list of
    strings, each encoded alone."""
    files = (
        "[\n" + ",\n".join(f"        {json.dumps(name)}" for name in entry.files) + "\n      ]"
        if entry.files
        else "[]"
    )
    return (
        f"    {json.dumps(key)}: {{\n"
        f'      "checksum": {json.dumps(entry.checksum)},\n'
        f'      "files": {files},\n'
        f'      "lineage": {json.dumps(entry.lineage)},\n'
        f'      "origin": {json.dumps(entry.kind)},\n'
        f'      "serial": {json.dumps(entry.serial)}\n'
        "    }"
    )


@dataclass(frozen=True)
class _Rendered:
    key: str
    entry: Entry
    files: tuple[tuple[str, bytes], ...]


def _parts(allowlist: Allowlist) -> Iterator[tuple[str, Allowlist]]:
    """(stem, allowlist) of every file set: each domain alone, then all of them."""
    for rule in allowlist.domains:
        yield rule.domain, allowlist.for_domain(rule)
    yield COMBINED, allowlist


def _render(
    allowlist: Allowlist, formats: Sequence[Format], recorded: dict[str, Entry]
) -> list[_Rendered]:
    """Every file, rendered as of the serial the manifest recorded when its rules and
    lineage are unchanged (see the module docstring), else as of the current serial."""
    if not allowlist.domains:
        return []
    origin = allowlist.origin
    rendered = []
    for stem, part in _parts(allowlist):
        checksum = part.checksum
        for fmt in formats:
            key = _key(fmt.name, stem)
            before = recorded.get(key)
            same = (
                before is not None
                and before.checksum == checksum
                and before.lineage == origin.lineage
                and before.kind == origin.kind
            )
            as_of = (
                replace(part, origin=Origin(origin.kind, origin.lineage, before.serial))
                if (same and before is not None)
                else part
            )
            files = tuple(fmt.render(as_of, stem))
            entry = Entry(
                files=tuple(name for name, _ in files),
                checksum=checksum,
                lineage=origin.lineage,
                serial=as_of.origin.serial,
                kind=origin.kind,
            )
            rendered.append(_Rendered(key, entry, files))
    return rendered


_PRODUCER = managed.Producer(
    manifest=MANIFEST,
    lock=LOCK,
    busy="another mailctl is writing allowlists into this folder; try again when it has finished",
    instead="write the allowlists",
)


def write(out: Path, allowlist: Allowlist, formats: Sequence[Format]) -> Report:
    """Bring ``out`` to the files of ``allowlist`` in ``formats``. Files of formats not
    asked for this time are left as they are. No file outside ``out`` is written,
    replaced or removed, and only the lock file beside it is locked: a link below it is
    refused (InputError, nothing
    written; see :mod:`reconciler.output.managed`)."""
    stale: list[str] = []

    def batch(raw: bytes | None) -> managed.Batch:
        recorded = _read_manifest(out / MANIFEST, raw)
        rendered = _render(allowlist, formats, recorded)
        names = {name for item in rendered for name, _ in item.files}
        asked = {fmt.name for fmt in formats}
        kept = {k: e for k, e in recorded.items() if k.split(":", 1)[0] not in asked}
        new = {item.key: item.entry for item in rendered}
        stale.extend(
            sorted(
                name
                for key, entry in recorded.items()
                if key not in kept
                for name in entry.files
                if name not in names
            )
        )
        return managed.Batch(
            files=[file for item in rendered for file in item.files],
            owned=frozenset(name for entry in recorded.values() for name in entry.files),
            stale=stale,
            listing=_manifest_bytes({**recorded, **new}),
            manifest=_manifest_bytes({**kept, **new}),
        )

    try:
        outcome = managed.write(out, _PRODUCER, batch)
    except OSError as exc:
        raise MailctlError(
            f"{out}: cannot write allowlist files: {exc.strerror}; "
            "each file is whole, old or new, and listed in the manifest: run again"
        ) from None
    return Report(outcome.written, outcome.unchanged, tuple(stale))

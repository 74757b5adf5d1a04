"""Lay the autoconfig files and SRV snippets out for serving, and write what changed.

The layout of ``DIR`` (all names are the domains' IDNA A-labels, so plain ASCII)::

    www/<domain>/mail/config-v1.1.xml
    www/<domain>/.well-known/autoconfig/mail/config-v1.1.xml
    dns/<domain>.zone
    srv-records.zone
    .mailctl-autoconfig.manifest

and beside ``DIR``, in its parent, the lock ``.<DIR's name>.mailctl-autoconfig.lock``
(never inside the folder that is served).

``www/<domain>/`` is a document root. Thunderbird first asks
``https://autoconfig.<domain>/mail/config-v1.1.xml`` (serve ``www/<domain>/`` as the
``autoconfig.<domain>`` virtual host), then the domain's own web site at
``https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml`` (copy or serve that
one file there). Both files have the same bytes. ``dns/<domain>.zone`` holds the
domain's SRV records for its zone; ``srv-records.zone`` all of them, sorted by domain.

Writing follows the allowlists' rules: output is byte-stable; a file whose bytes did
not change is not touched (its mtime stays, so rsync, make and Git see no change);
every changed file is replaced atomically (a temporary file in the same folder,
renamed over it). The manifest lists the files this writer wrote; when a domain
disappears, only files listed there are removed, and no other file is ever deleted.

The manifest, the lock (two exports into one folder never interleave: the second is
refused while the first runs), the atomic batch and the ownership rules are those of
every folder mailctl manages, :mod:`reconciler.output.managed`: the files of one export
are written together (all temporary files written, synced together, then renamed),
with the mode the umask gives, so a web server running as another user can read them.
Every name below ``DIR`` is opened without following links: a symbolic link where the
export would write is refused, nothing written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.autoconfig import srv, xml_out
from reconciler.desired.model import Domain
from reconciler.output import managed

MANIFEST = ".mailctl-autoconfig.manifest"
LOCK = ".mailctl-autoconfig.lock"  # the suffix of the lock file beside the folder
COMBINED_ZONE = "srv-records.zone"
_MANIFEST_HEAD = "# Files written by mailctl autoconfig export; only these are ever removed.\n"


def autoconfig_paths(domain: str) -> tuple[str, str]:
    """Where ``domain``'s config-v1.1.xml is served from, relative to ``DIR``."""
    return (
        f"www/{domain}/mail/config-v1.1.xml",
        f"www/{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
    )


def zone_path(domain: str) -> str:
    return f"dns/{domain}.zone"


def layout(domains: Iterable[Domain], ttl: int = srv.DEFAULT_TTL) -> dict[str, bytes]:
    """Every file of the export: relative path -> bytes. Pure."""
    files: dict[str, bytes] = {}
    combined: list[bytes] = []
    for domain in sorted(domains, key=lambda d: d.name):
        xml = xml_out.client_config(domain)
        for path in autoconfig_paths(domain.name):
            files[path] = xml
        zone = srv.zone_snippet(domain, ttl)
        files[zone_path(domain.name)] = zone
        combined.append(zone)
    files[COMBINED_ZONE] = b"\n".join(combined)
    return files


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]


# Every name this writer can produce; a manifest entry that is none of them (a path a
# pull request added to a committed folder: index.html, .git/HEAD) is never removed.
_DOMAIN = r"[a-z0-9-]+(?:\.[a-z0-9-]+)+"
_OURS = re.compile(
    rf"www/{_DOMAIN}/mail/config-v1\.1\.xml"
    rf"|www/{_DOMAIN}/\.well-known/autoconfig/mail/config-v1\.1\.xml"
    rf"|dns/{_DOMAIN}\.zone"
    rf"|{re.escape(COMBINED_ZONE)}"
)


def _listed(raw: bytes | None) -> list[str]:
    """The names the manifest lists that this writer can make (see ``_OURS``)."""
    text = (raw or b"").decode("utf-8", "replace")
    return list(managed.owned(text.splitlines(), lambda line: bool(_OURS.fullmatch(line))))


def _manifest(names: Iterable[str]) -> bytes:
    return (_MANIFEST_HEAD + "".join(f"{path}\n" for path in sorted(names))).encode()


_PRODUCER = managed.Producer(
    manifest=MANIFEST,
    lock=LOCK,
    busy="another mailctl is exporting autoconfig files into this folder; "
    "try again when it has finished",
    instead="export",
)


def write_tree(out: Path, files: Mapping[str, bytes]) -> WriteReport:
    """Make ``out`` hold ``files``: write what changed, remove what this writer wrote
    before and no longer produces. Raises OSError or MailctlError when the folder cannot
    be written or another export into it is running, and InputError (nothing written)
    when a file it would write is one it did not write, or lies behind a link (see
    :mod:`reconciler.output.managed`: no file outside ``out`` is ever written, replaced
    or removed)."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder")

    def batch(raw: bytes | None) -> managed.Batch:
        listed = set(_listed(raw))
        return managed.Batch(
            files=sorted(files.items()),
            owned=frozenset(listed),
            stale=sorted(listed - set(files)),
            listing=_manifest(listed | set(files)),
            manifest=_manifest(files),
        )

    outcome = managed.write(out, _PRODUCER, batch)
    return WriteReport(
        written=outcome.written,
        unchanged=len(outcome.unchanged),
        removed=outcome.removed,
    )


def export_domains(
    out: Path, domains: Mapping[str, Domain], ttl: int = srv.DEFAULT_TTL
) -> WriteReport:
    return write_tree(out, layout(domains.values(), ttl))

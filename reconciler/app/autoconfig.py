"""``autoconfig export`` and ``import autoconfig``: the settings in the formats mail
clients use for pre-population (Thunderbird autoconfig XML, RFC 6186 SRV records), out
of mailctl and into a domains file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reconciler.app.store import applied
from reconciler.autoconfig.ispdb import Skipped
from reconciler.desired.credential_env import DEFAULT as DEFAULT_CREDENTIALS
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.model import Domain
from reconciler.errors import InputError, Location, MailctlError
from reconciler.output.atomic import write_atomic
from reconciler.plan.status import EXIT_OK


@dataclass(frozen=True)
class ExportOptions:
    """Write every domain's autoconfig files and SRV records (TTL ``ttl``) into ``out``:
    the stored domains (``stored``, the store at ``state_url``) or those of the domains
    file or folder ``path`` (``desired``)."""

    out: Path
    origin: Literal["stored", "desired"] = "stored"
    path: Path | None = None
    ttl: int = 3600
    state_url: str | None = None
    credentials: CredentialPolicy = DEFAULT_CREDENTIALS


@dataclass(frozen=True)
class Exported:
    out: Path
    domains: int
    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]
    status: int = EXIT_OK


@dataclass(frozen=True)
class ImportOptions:
    """Read the autoconfig XML at ``sources`` (files or folders) into domains entries,
    merged into the domains file ``out`` when given (``replace``: replace the imap and
    smtp of the domains it has already)."""

    sources: tuple[Path, ...]
    out: Path | None = None
    replace: bool = False


@dataclass(frozen=True)
class Imported:
    text: str  # the new entries (no ``out``) or the merged file
    domains: int
    files: int
    skipped: tuple[Skipped, ...]  # providers without IMAP or SMTP, with the reason
    out: Path | None = None
    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # in ``out`` already, left as they were
    status: int = EXIT_OK


def export(options: ExportOptions) -> Exported:
    """Bring ``options.out`` to the autoconfig files of the chosen domains."""
    from reconciler.autoconfig.writer import export_domains

    domains = _domains(options)
    try:
        report = export_domains(options.out, domains, options.ttl)
    except OSError as exc:
        raise MailctlError(f"cannot write into {options.out}: {exc.strerror or exc}") from None
    return Exported(
        options.out, len(domains), tuple(report.written), report.unchanged, tuple(report.removed)
    )


def _domains(options: ExportOptions) -> dict[str, Domain]:
    if options.origin == "desired":
        if options.path is None:
            raise MailctlError("an export --from desired needs the domains file or folder")
        from reconciler.desired.loader import load

        return dict(load(options.path, options.credentials).desired.domains)  # InputError
    also = "or export a domains file: mailctl autoconfig export PATH --from desired --out DIR"
    with applied(options.state_url, also=also) as (_, state):
        return dict(state.domains)


def import_autoconfig(options: ImportOptions) -> Imported:
    """The entries of ``options.sources``, merged into ``options.out`` when given (the
    file is written only when its text changes). Every problem of the sources, or of
    ``out``, is an InputError naming its place; nothing is written then."""
    from reconciler.autoconfig import ispdb, merge

    imported = ispdb.read_sources(list(options.sources))  # InputError: every problem, located
    found = len(imported.entries), len(imported.files), imported.skipped
    if options.out is None:
        return Imported(merge.render_new(imported.entries), *found)
    out = options.out
    try:
        text = out.read_text() if out.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(Location(str(out)), f"cannot read the file: {exc}") from None
    merged = merge.merge(text, str(out), imported.entries, replace=options.replace)
    if merged.text != text:
        try:
            write_atomic(out, merged.text.encode())
        except OSError as exc:
            raise MailctlError(f"cannot write {out}: {exc.strerror}") from None
    return Imported(merged.text, *found, out, merged.added, merged.replaced, merged.kept)

"""``autoconfig export`` and ``import autoconfig``: the settings in the formats mail
clients use for pre-population (Thunderbird autoconfig XML, RFC 6186 SRV records), out
of mailctl and into a domains file; and the answers a settings server gives Outlook
(Autodiscover) and Apple devices (configuration profiles) for one address."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reconciler.app.store import applied
from reconciler.autoconfig import autodiscover, mobileconfig
from reconciler.autoconfig.ispdb import Skipped
from reconciler.desired.credential_env import DEFAULT as DEFAULT_CREDENTIALS
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.inbox import AddressProblem, parse_address
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


@dataclass(frozen=True)
class Answer:
    """An HTTP answer, whole: status, body and its media type."""

    status: int
    body: bytes
    media_type: str


# What Exchange answers with, and what Outlook expects ([MS-OXDSCLI] POX).
AUTODISCOVER_MEDIA_TYPE = "text/xml; charset=utf-8"
PROBLEM_MEDIA_TYPE = "text/plain; charset=utf-8"


def autodiscover_answer(domains: Mapping[str, Domain], body: bytes) -> Answer:
    """The answer to the Autodiscover POST ``body`` from ``domains`` (by name):

    * 200, the settings, when the address's domain is served: whatever its local
      part (mailctl knows domains, not mailboxes, so nothing can be enumerated);
    * 200, ``ErrorCode`` 500, for a domain not served, and 601 for a response schema
      not served: protocol answers Outlook reads from the body, as from Exchange;
    * 400, ``ErrorCode`` 600, for a malformed or hostile request; 413, the same
      body, for one over ``autodiscover.MAX_REQUEST_BYTES``.
    """
    try:
        email = autodiscover.parse_request(body)
    except autodiscover.RequestRefused as refused:
        status = 413 if refused.too_big else 200 if refused.code == 601 else 400
        return Answer(status, autodiscover.render_error(refused.code), AUTODISCOVER_MEDIA_TYPE)
    domain = domains.get(email.rpartition("@")[2])
    if domain is None:
        not_found = autodiscover.render_error(autodiscover.ErrorCode.NOT_FOUND)
        return Answer(200, not_found, AUTODISCOVER_MEDIA_TYPE)
    return Answer(200, autodiscover.render_response(domain, email), AUTODISCOVER_MEDIA_TYPE)


def profile_answer(
    domains: Mapping[str, Domain],
    raw_email: str,
    *,
    signer: mobileconfig.Signer | None = None,
    identifier_prefix: str = mobileconfig.DEFAULT_PREFIX,
) -> Answer:
    """The configuration profile of the address ``raw_email`` (signed when ``signer``
    is given, see ``signing_files.load_signer``): 200 with the profile, 400 for a
    malformed address, 404 for a domain not served, each problem as one line of text."""
    try:
        address = parse_address(raw_email)
    except AddressProblem as problem:
        return Answer(400, f"{problem.message}\n".encode(), PROBLEM_MEDIA_TYPE)
    domain = domains.get(address.domain)
    if domain is None:
        text = f"domain {address.domain} is not served here\n"
        return Answer(404, text.encode(), PROBLEM_MEDIA_TYPE)
    profile = mobileconfig.render_profile(domain, str(address), identifier_prefix=identifier_prefix)
    if signer is not None:
        profile = mobileconfig.sign_with(signer, profile)
    return Answer(200, profile, mobileconfig.MEDIA_TYPE)

"""``mailctl autoconfig export`` and ``mailctl import autoconfig``: the settings in the
formats mail clients already use for pre-population (Thunderbird autoconfig XML and
RFC 6186 SRV records), out of mailctl and into it."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.common import (
    check_origin,
    credential_policy,
    opened_store,
    plural,
    state_option,
)
from reconciler.desired.model import Domain
from reconciler.errors import InputError, Location, MailctlError
from reconciler.output.atomic import write_atomic


@click.group()
def autoconfig() -> None:
    """Publish the settings for mail clients: autoconfig XML and SRV records.

    \b
    Examples:
      mailctl autoconfig export --out public/
      mailctl autoconfig export domains.yaml --from desired --out public/
    """


def _domains(source: str, path: Path | None, state_url: str | None) -> dict[str, Domain]:
    check_origin(source, path)
    if path is not None:
        from reconciler.desired.loader import load

        return dict(load(path, credential_policy()).desired.domains)  # InputError: located
    with opened_store(state_url) as store:
        state = store.read()
        where = store.display_url
    if state.lineage is None:
        raise MailctlError(
            f"the store {where} is empty (nothing applied yet); apply first, or export "
            "a domains file with: mailctl autoconfig export PATH --from desired --out DIR"
        )
    return dict(state.domains)


@autoconfig.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Folder to write into (created if needed).",
)
@click.option(
    "--from",
    "source",
    type=click.Choice(["stored", "desired"]),
    default="stored",
    show_default=True,
    help="stored: the settings in the store (--state); desired: the domains file or "
    "folder at PATH, as it would be after an apply.",
)
@click.option(
    "--ttl",
    type=click.IntRange(min=0, max=2**31 - 1),
    default=3600,
    show_default=True,
    metavar="SECONDS",
    help="TTL of the SRV records.",
)
@state_option
def export(path: Path | None, out: Path, source: str, ttl: int, state_url: str | None) -> None:
    """Write every domain's autoconfig file and SRV records into DIR.

    \b
    Layout (names are IDNA A-labels):
      DIR/www/<domain>/mail/config-v1.1.xml
          serve www/<domain>/ as https://autoconfig.<domain>/ (Thunderbird asks
          there first)
      DIR/www/<domain>/.well-known/autoconfig/mail/config-v1.1.xml
          the same file for https://<domain>/.well-known/autoconfig/mail/
      DIR/dns/<domain>.zone    the domain's SRV records, to paste into its zone
      DIR/srv-records.zone     all SRV records, sorted by domain
      DIR/.mailctl-autoconfig.manifest   what was written (see below)

    Each config-v1.1.xml is clientConfig version 1.1: IMAP and SMTP host, port,
    socketType SSL/STARTTLS/plain, username %EMAILADDRESS%, password-cleartext.
    SRV records follow RFC 6186 and RFC 8314: for ssl, _imaps._tcp and
    _submissions._tcp name the server and _imap._tcp / _submission._tcp say "not
    offered" (0 0 0 .); for starttls and none the other way round.

    Output is byte-stable (sorted, no timestamps). Files whose bytes did not change
    are not rewritten (their mtime stays); changed files are replaced atomically.
    Files that an earlier export wrote (listed in the manifest) for a domain that is
    gone are removed; no other file in DIR is ever touched: an export that would
    overwrite one stops before writing anything.

    \b
    Examples:
      mailctl autoconfig export --out public/
      mailctl autoconfig export --state postgresql://mailctl@db/mailctl --out public/
      mailctl autoconfig export domains.yaml --from desired --out public/
    """
    from reconciler.autoconfig.writer import export_domains

    domains = _domains(source, path, state_url)
    try:
        report = export_domains(out, domains, ttl)
    except OSError as exc:
        raise MailctlError(f"cannot write into {out}: {exc.strerror or exc}") from None
    click.echo(
        f"{out}: {plural(len(domains), 'domain')}: wrote {plural(len(report.written), 'file')}, "
        f"{report.unchanged} unchanged, removed {len(report.removed)}.",
        err=True,
    )


@click.group(name="import")
def import_() -> None:
    """Import settings from other formats into a domains file.

    \b
    Example:
      mailctl import autoconfig ispdb/ --out domains.yaml
    """


@import_.command(name="autoconfig")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Merge into this domains file (created if missing) instead of printing to "
    "standard output. Its comments, order and style are kept; new domains go at the end.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the imap and smtp of domains the file already has (their other keys "
    "and comments stay). Without it such domains are kept and reported as skipped.",
)
def import_autoconfig(sources: tuple[Path, ...], out: Path | None, replace: bool) -> None:
    """Read autoconfig XML (the ISPDB format) into domains.yaml entries.

    SOURCES are config-v1.1.xml files or folders of *.xml files (read recursively,
    hidden folders such as .well-known skipped). Per provider: one entry per <domain>,
    with the provider's first IMAP server and first SMTP server in document order (the
    format lists them by preference); %EMAILDOMAIN% in a host name becomes each domain;
    socketType SSL / STARTTLS / plain becomes ssl / starttls / none. Providers without
    IMAP or SMTP are skipped with the reason (on standard error). Malformed XML, a bad
    port or host name is an error naming file:line:column, and nothing is written.

    \b
    Examples:
      mailctl import autoconfig ispdb/gmx.com.xml
      mailctl import autoconfig ispdb/ --out domains.yaml
      mailctl import autoconfig public/www/ --out domains.yaml --replace
    """
    from reconciler.autoconfig import ispdb, merge

    imported = ispdb.read_sources(list(sources))  # InputError: every problem, located
    for skipped in imported.skipped:
        click.echo(f"{skipped.location}: skipped: {skipped.provider}: {skipped.reason}", err=True)
    found = f"{plural(len(imported.entries), 'domain')} from {plural(len(imported.files), 'file')}"
    if out is None:
        click.echo(merge.render_new(imported.entries), nl=False)
        click.echo(f"Imported {found}; skipped {len(imported.skipped)}.", err=True)
        return
    try:
        text = out.read_text() if out.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(Location(str(out)), f"cannot read the file: {exc}") from None
    merged = merge.merge(text, str(out), imported.entries, replace=replace)
    for name in merged.kept:
        click.echo(f"{out}: skipped: {name} is already there (--replace replaces it)", err=True)
    if merged.text != text:
        try:
            write_atomic(out, merged.text.encode())
        except OSError as exc:
            raise MailctlError(f"cannot write {out}: {exc.strerror}") from None
    click.echo(
        f"Imported {found} into {out}: {len(merged.added)} added, {len(merged.replaced)} "
        f"replaced, {len(merged.kept)} already there; {len(imported.skipped)} skipped.",
        err=True,
    )

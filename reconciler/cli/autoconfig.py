"""``mailctl autoconfig export`` and ``mailctl import autoconfig``: the settings in the
formats mail clients already use for pre-population (Thunderbird autoconfig XML and
RFC 6186 SRV records), out of mailctl and into it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from reconciler.app import autoconfig as app
from reconciler.cli.common import check_origin, credential_policy, plural, state_option


@click.group()
def autoconfig() -> None:
    """Publish the settings for mail clients: autoconfig XML and SRV records.

    \b
    Examples:
      mailctl autoconfig export --out public/
      mailctl autoconfig export domains.yaml --from desired --out public/
    """


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
    check_origin(source, path)
    options = app.ExportOptions(out, ttl=ttl, state_url=state_url)
    if path is not None:
        options = replace(options, origin="desired", path=path, credentials=credential_policy())
    done = app.export(options)
    click.echo(
        f"{out}: {plural(done.domains, 'domain')}: wrote {plural(len(done.written), 'file')}, "
        f"{done.unchanged} unchanged, removed {len(done.removed)}.",
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
    done = app.import_autoconfig(app.ImportOptions(sources, out, replace))
    for skipped in done.skipped:
        click.echo(f"{skipped.location}: skipped: {skipped.provider}: {skipped.reason}", err=True)
    found = f"{plural(done.domains, 'domain')} from {plural(done.files, 'file')}"
    if done.out is None:
        click.echo(done.text, nl=False)
        click.echo(f"Imported {found}; skipped {len(done.skipped)}.", err=True)
        return
    for name in done.kept:
        click.echo(f"{out}: skipped: {name} is already there (--replace replaces it)", err=True)
    click.echo(
        f"Imported {found} into {out}: {len(done.added)} added, {len(done.replaced)} "
        f"replaced, {len(done.kept)} already there; {len(done.skipped)} skipped.",
        err=True,
    )

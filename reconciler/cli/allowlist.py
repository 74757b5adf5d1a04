"""``mailctl allowlist``: write the firewall allowlist files of the static-IP domains."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.allowlist.formats import FORMATS, Format
from reconciler.allowlist.rules import Allowlist
from reconciler.app import allowlist as app
from reconciler.cli.boundary import input_view
from reconciler.cli.common import (
    check_origin,
    credential_policy,
    feed_timeout_option,
    fetch_options_from,
    state_option,
    target_options,
)

F = TypeVar("F", bound=Callable[..., Any])


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[Format, ...]:
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    if not names or names == ["all"]:
        return tuple(FORMATS.values())
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise click.BadParameter(
            f"unknown format {unknown[0]!r}; choose from {', '.join(FORMATS)} "
            "(comma-separated), or all"
        )
    return tuple(fmt for name, fmt in FORMATS.items() if name in names)


def format_option(*names: str, help_prefix: str) -> Callable[[F], F]:
    return click.option(
        *names,
        "formats",
        default="all",
        show_default=True,
        metavar="LIST",
        callback=_formats,
        help=f"{help_prefix} Comma-separated: {', '.join(FORMATS)}; or all.",
    )


def write_allowlists(allowlist: Allowlist, out: Path, formats: tuple[Format, ...]) -> None:
    """Write ``allowlist`` into ``out`` and say what changed."""
    show_written(allowlist, out, app.write(allowlist, out, formats))


def show_written(allowlist: Allowlist, out: Path, changes: str) -> None:
    count = len(allowlist.domains)
    what = " (desired state, not applied)" if allowlist.origin.kind == "desired" else ""
    click.echo(
        f"Allowlists of {count} static-IP domain{'s' if count != 1 else ''}{what} in {out}: "
        f"{changes}."
    )


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write into (created if missing).",
)
@format_option("--format", help_prefix="File formats to write.")
@click.option(
    "--from",
    "origin",
    type=click.Choice(["stored", "desired"]),
    default="stored",
    show_default=True,
    help="stored: what the store holds (applied). desired: a preview of PATH, feeds read.",
)
@state_option
@target_options
@feed_timeout_option
def allowlist(
    path: Path | None,
    out: Path,
    formats: tuple[Format, ...],
    origin: str,
    state_url: str | None,
    **targets: Any,
) -> None:
    """Write the firewall allowlists that let the connection IPs reach the IMAP and
    SMTP ports of every domain with use_static_ip_addresses: true.

    One file per domain and format, named after the domain (example.com.nft,
    example.com.rules.v4 and .rules.v6 for iptables-restore / ip6tables-restore,
    .ipset, .txt, .json, .csv), and one combined file per format for all domains
    (all.nft, all.rules.v4, …). The connection ranges are collapsed (IPv4 and IPv6
    apart); files are sorted and carry no timestamp, so the same rules give the same
    bytes. A header names the store's lineage and serial and a checksum of the rules.

    Files are written atomically and only when their rules change (unchanged files
    keep their mtime). Files written earlier for domains that no longer use static IPs
    are removed; mailctl lists what it wrote in DIR/.mailctl-allowlist.json and never
    touches a file it did not write.

    \b
    Examples:
      mailctl allowlist --out firewall/
      mailctl allowlist --out firewall/ --format nftables,txt
      mailctl allowlist domains.yaml --from desired --out preview/   # before applying
    """
    fetch = fetch_options_from(targets)
    check_origin(origin, path)
    options = app.AllowlistOptions(out, formats, state_url=state_url, fetch=fetch)
    if path is not None:
        input_view("text", path)
        options = replace(options, origin="desired", path=path, credentials=credential_policy())
    done = app.write_allowlists(options)
    show_written(done.allowlist, done.out, done.changes)

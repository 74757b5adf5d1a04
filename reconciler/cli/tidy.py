"""``mailctl init`` and ``mailctl fmt``."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.app import tidy as app
from reconciler.cli.common import credential_policy, plural


@click.command()
@click.argument(
    "path", type=click.Path(path_type=Path), default=str(app.DEFAULT_PATH), required=False
)
def init(path: Path) -> None:
    """Write a commented starter domains file at PATH (default: ./domains.yaml).

    Never replaces a file: if PATH exists, nothing is written and the command exits 1.
    The starter validates as written; edit its example domain, then run mailctl validate.

    \b
    Examples:
      mailctl init
      mailctl init config/domains.yaml
    """
    done = app.init(app.InitOptions(path))
    click.echo(f"Wrote {done.path}. Edit it, then: mailctl validate {done.path}")


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 2 when a file is not in canonical form (for CI).",
)
def fmt(path: Path, check: bool) -> None:
    """Rewrite the domains file (or folder of *.yaml files) at PATH in canonical form.

    Canonical: 2-space indentation with list items at 4, known keys in the order the
    README lists them (version, connection_ips, defaults, domains; imap, smtp, ...;
    host, port, security), everything else as written, comments kept. A file that
    does not validate is not rewritten: its errors are shown and the command exits 1.
    Each file is replaced atomically.

    \b
    Exit codes: 0 every file is (now) canonical; 1 input error;
    2 with --check, a file would change (its name is printed).

    \b
    Examples:
      mailctl fmt domains.yaml
      mailctl fmt --check domains/
    """
    done = app.fmt(app.FmtOptions(path, check, credential_policy()))
    for file in done.changed:
        click.echo(f"{file}: would be reformatted" if check else f"{file}: reformatted")
    verdict = (
        f"{plural(len(done.changed), 'file')} would be reformatted"
        if check and done.changed
        else f"{plural(len(done.changed), 'file')} reformatted"
    )
    click.echo(
        f"{verdict}, {plural(len(done.files) - len(done.changed), 'file')} already canonical.",
        err=True,
    )
    if done.status:
        raise click.exceptions.Exit(done.status)

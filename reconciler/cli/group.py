"""The ``mailctl`` click group; commands register themselves on it."""

from __future__ import annotations

import click

from reconciler import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="mailctl")
def cli() -> None:
    """Email-domain IMAP/SMTP connection settings as code.

    Keep the settings of every email domain in a version-controlled domains.yaml;
    mailctl checks them, shows what would change and applies reviewed changes to the
    store of record (SQLite by default, PostgreSQL for teams).

    \b
    Typical flow:
      mailctl validate domains.yaml            check the file; no network, no store
      mailctl plan domains.yaml --out p.json   show what would change, save the plan
      mailctl apply p.json                     apply exactly that reviewed plan
      mailctl history                          every apply; mailctl rollback --to N

    \b
    Exit codes: 0 ok/no changes, 1 error in input or usage, 2 changes present
    (with --detailed-exitcode), 3 a connection check failed, 4 blocked by a gate.
    """

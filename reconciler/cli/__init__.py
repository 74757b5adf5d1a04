"""The ``mailctl`` command line: parse, call one use case, render, map to an exit code.

Exit codes are part of the interface (see ``common``): 0 success/no changes, 1 error
in input or usage (or an internal error, reported as such), 2 changes present
(``plan --detailed-exitcode``), 3 a live connection check failed, 4 blocked by a gate.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from reconciler.cli.exitcodes import EXIT_ERROR, EXIT_OK
from reconciler.cli.group import cli
from reconciler.errors import MailctlError

__all__ = ["cli", "main"]


def _internal_error(exc: BaseException, argv: list[str]) -> NoReturn:
    from reconciler.cli import crash

    try:
        report = crash.write_report(exc, argv, os.environ)
        where = f"details were written to {report} (readable by you only)"
    except OSError:
        where = "details could not be written to a file"
    click.echo(
        f"mailctl: internal error ({type(exc).__name__}): this is a bug in mailctl, not in "
        f"your input; {where}. Please report it with that file.",
        err=True,
    )
    sys.exit(EXIT_ERROR)


def main(argv: list[str] | None = None) -> NoReturn:
    """Console-script entry point. Expected failures of a command are reported by the
    group (``boundary``); here: usage errors before a command runs, and bugs."""
    try:
        code = cli.main(args=argv, prog_name="mailctl", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        from reconciler.cli import boundary

        if boundary.interrupted(exc):
            sys.exit(boundary.report_interrupted())
        click.echo("mailctl: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        # Usage errors exit 1, not click's 2: 2 means "changes present" here.
        exc.show()
        sys.exit(EXIT_ERROR)
    except MailctlError as exc:  # raised by an option's callback, before the group ran
        click.echo(f"mailctl: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:
        _internal_error(exc, sys.argv[1:] if argv is None else argv)
    sys.exit(code if isinstance(code, int) else EXIT_OK)

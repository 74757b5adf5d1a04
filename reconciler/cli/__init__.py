"""The ``mailctl`` command line: parse, call one use case, render, map to an exit code.

Exit codes are part of the interface:

* 0 - success, no changes
* 1 - error in input or usage (or an internal error, reported as such)
* 2 - changes present (``plan --detailed-exitcode``)
* 3 - a live connection check failed
* 4 - blocked by a gate
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import IO, Any, NoReturn

import click

from reconciler import __version__, service
from reconciler.errors import InputError, MailctlError
from reconciler.loader import summary_counts
from reconciler.render import diagnostics as render_diagnostics
from reconciler.schema import SCHEMAS
from reconciler.schema import render as render_schema

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_CHECK_FAILED = 3
EXIT_BLOCKED = 4


def _colour(stream: IO[Any]) -> bool:
    """Colour only for a person at a terminal, never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="mailctl")
def cli() -> None:
    """Email-domain IMAP/SMTP connection settings as code.

    Keep the settings of every email domain in a version-controlled domains.yaml;
    mailctl checks them, shows what would change and applies reviewed changes.

    \b
    Start with:
      mailctl validate examples/domains.yaml   check a file or a folder of files
      mailctl schema                            print the JSON Schema for editors

    \b
    Exit codes: 0 ok/no changes, 1 error in input or usage, 2 changes present
    (with --detailed-exitcode), 3 a connection check failed, 4 blocked by a gate.
    """


FORMAT = click.Choice(["text", "json", "github"])


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=FORMAT,
    default="text",
    show_default=True,
    help="text for people; json for tools; github for workflow annotations on the YAML lines.",
)
def validate(path: Path, fmt: str) -> None:
    """Check the domains file (or folder of *.yaml files) at PATH. No network.

    Reports every error at once, each with file:line:column and a hint, and exits 1
    if there is any; otherwise prints a one-line summary and exits 0.

    \b
    Examples:
      mailctl validate domains.yaml
      mailctl validate domains/ --format github
    """
    try:
        loaded = service.validate(path)
    except InputError as exc:
        _report_input_error(exc, fmt, path)
        sys.exit(EXIT_ERROR)
    counts = summary_counts(loaded)
    if fmt == "json":
        click.echo(
            render_diagnostics.as_json(loaded.warnings, ok=True, path=str(path), summary=counts)
        )
        return
    if loaded.warnings:
        if fmt == "github":
            click.echo(render_diagnostics.github(loaded.warnings))
        else:
            text = render_diagnostics.text(loaded.warnings, colour=_colour(sys.stderr))
            click.echo(text, err=True)
    click.echo(
        f"{path}: valid: {_plural(counts['domains'], 'domain')} "
        f"({counts['static_ip_domains']} with static IP addresses) in "
        f"{_plural(counts['files'], 'file')}"
    )


def _report_input_error(exc: InputError, fmt: str, path: Path) -> None:
    items = exc.diagnostics
    errors = sum(1 for d in items if d.severity == "error")
    files = len({d.location.file for d in items})
    if fmt == "json":
        click.echo(render_diagnostics.as_json(items, ok=False, path=str(path)))
        return
    if fmt == "github":
        click.echo(render_diagnostics.github(items))
    else:
        click.echo(render_diagnostics.text(items, colour=_colour(sys.stderr)), err=True)
    click.echo(
        f"{path}: {_plural(errors, 'error')} in {_plural(files, 'file')}",
        err=True,
    )


@cli.command()
@click.argument("name", type=click.Choice(sorted(SCHEMAS)), default="domains")
def schema(name: str) -> None:
    """Print the JSON Schema of a mailctl file format (default: domains).

    Point your editor at it for completion and checks while you type; the
    yaml-language-server modeline in examples/domains.yaml shows how.
    """
    click.echo(render_schema(name), nl=False)


def _internal_error(exc: BaseException) -> NoReturn:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    report = Path(tempfile.gettempdir()) / f"mailctl-crash-{stamp}-{os.getpid()}.log"
    details = "".join(traceback.format_exception(exc))
    try:
        report.write_text(f"mailctl {__version__}\nargv: {sys.argv[1:]}\n\n{details}")
        where = f"details were written to {report}"
    except OSError:
        where = "details could not be written to a file"
    click.echo(
        f"mailctl: internal error ({type(exc).__name__}): this is a bug in mailctl, not in "
        f"your input; {where}. Please report it with that file.",
        err=True,
    )
    sys.exit(EXIT_ERROR)


def main(argv: list[str] | None = None) -> NoReturn:
    """Console-script entry point: one error boundary for every command."""
    try:
        code = cli.main(args=argv, prog_name="mailctl", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("mailctl: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        # Usage errors exit 1, not click's 2: 2 means "changes present" here.
        exc.show()
        sys.exit(EXIT_ERROR)
    except InputError as exc:
        click.echo(render_diagnostics.text(exc.diagnostics), err=True)
        sys.exit(EXIT_ERROR)
    except MailctlError as exc:
        click.echo(f"mailctl: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:
        _internal_error(exc)
    sys.exit(code if isinstance(code, int) else EXIT_OK)

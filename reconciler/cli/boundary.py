"""The one error boundary of the command line: every expected failure a command raises
(:class:`~reconciler.errors.MailctlError`) becomes its message and its exit code here.

Input errors are shown in the format the command was asked for. A command names that
format (and the path it read) with :func:`input_view` before it reads its input:

* ``json``: the JSON diagnostics document on standard output, for tools; so is any
  other failure the command meets once it has named its view (a usage error found
  after parsing, no store, a gate), with its one-line message also on standard error;
* ``github``: workflow annotations on standard output, a summary line on standard error;
* anything else: the located one-liners and their hints on standard error.

A command that names no view gets the text one-liners.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from reconciler.cli.common import colour, plural
from reconciler.cli.exitcodes import EXIT_INTERRUPTED
from reconciler.errors import Blocked, Diagnostic, InputError, Location, MailctlError
from reconciler.plan.status import EXIT_BLOCKED, EXIT_ERROR
from reconciler.render import diagnostics as render_diagnostics

_VIEW = "mailctl.input_view"  # key in click's context meta, shared by nested contexts


@dataclass(frozen=True)
class InputView:
    """How a command shows input errors: ``fmt`` is text, json or github."""

    fmt: str = "text"
    path: str | None = None


def input_view(fmt: str, path: Path | str | None = None) -> None:
    """Record that this command shows input errors in ``fmt`` (a format other than json
    or github, such as markdown, shows them as text), naming ``path`` in the summary."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        shown = fmt if fmt in ("json", "github") else "text"
        ctx.meta[_VIEW] = InputView(shown, None if path is None else str(path))


def show_diagnostics(items: list[Diagnostic] | tuple[Diagnostic, ...], fmt: str) -> None:
    """Warnings or errors: text to stderr for people; annotations to stdout for GitHub."""
    if not items:
        return
    if fmt == "github":
        click.echo(render_diagnostics.github(items))
    else:
        click.echo(render_diagnostics.text(items, colour=colour(sys.stderr)), err=True)


def _view(ctx: click.Context) -> InputView:
    view = ctx.meta.get(_VIEW, InputView())
    assert isinstance(view, InputView)
    return view


def _json_failure(items: list[Diagnostic], view: InputView) -> None:
    click.echo(render_diagnostics.as_json(items, ok=False, path=view.path))


def _unlocated(message: str) -> list[Diagnostic]:
    return [Diagnostic(Location(""), message)]


def report_input_error(exc: InputError, view: InputView) -> None:
    items = exc.diagnostics
    if view.fmt == "json":
        _json_failure(items, view)
        return
    show_diagnostics(items, view.fmt)
    if view.path is not None:
        errors = sum(1 for d in items if d.severity == "error")
        files = len({d.location.file for d in items})
        click.echo(f"{view.path}: {plural(errors, 'error')} in {plural(files, 'file')}", err=True)


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is Ctrl-C: a KeyboardInterrupt, or click's Abort made of one (click
    turns one into Abort, at a prompt without naming it as the cause)."""
    if isinstance(exc, KeyboardInterrupt):
        return True
    return isinstance(exc, click.exceptions.Abort) and isinstance(
        exc.__cause__ or exc.__context__, KeyboardInterrupt
    )


def report_interrupted() -> int:
    """One line, no traceback and no crash report: stopping a command is no bug. What
    the command had not committed yet is not applied (a store write is one transaction)."""
    click.echo("mailctl: interrupted", err=True)
    return EXIT_INTERRUPTED


def report(exc: MailctlError, ctx: click.Context) -> int:
    """Show ``exc`` as the command's chosen view asks, then its notes (such as apply's
    closing "Nothing applied: …" line), each a line on standard error; its exit code."""
    view = _view(ctx)
    code = EXIT_ERROR
    if isinstance(exc, InputError):
        report_input_error(exc, view)
    else:
        if view.fmt == "json":
            _json_failure(_unlocated(str(exc)), view)
        if isinstance(exc, Blocked):
            click.echo(f"mailctl: {exc}", err=True)
            code = EXIT_BLOCKED
        else:
            click.echo(f"mailctl: error: {exc}", err=True)
    for note in getattr(exc, "__notes__", ()):
        click.echo(note, err=True)
    return code


def report_usage(exc: click.UsageError, ctx: click.Context) -> int | None:
    """A usage error a JSON command found after parsing: the failure document on
    standard output and click's usage message on standard error; its exit code (1, as
    every usage error). None when the command named no JSON view: the caller lets
    click's own handling show it."""
    view = _view(ctx)
    if view.fmt != "json":
        return None
    _json_failure(_unlocated(exc.format_message()), view)
    exc.show()
    return EXIT_ERROR

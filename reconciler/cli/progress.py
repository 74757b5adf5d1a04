"""Progress of live checks: a bar for a person at a terminal, one line per endpoint in
CI logs (which a bar would fill with control characters).

Server text (a check's message quotes what a server said) is never read as rich markup:
it is printed as a :class:`rich.text.Text`, which is taken literally.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from reconciler.plan.evidence import CheckResult


def describe(result: CheckResult) -> str:
    target = result.target
    where = f"{target.protocol} {target.host}:{target.port} {target.security}"
    total = sum(t.milliseconds for t in result.timings)
    if result.passed:
        return f"check {where}: passed ({total:.0f} ms)"
    return f"check {where}: {result.verdict} at {result.failed_step}: {result.message}"


def same_file(one: IO[Any], other: IO[Any]) -> bool:
    """Whether two streams write to one file or pipe (``2>&1``, ``>log 2>&1``)."""
    try:
        first, second = os.fstat(one.fileno()), os.fstat(other.fileno())
    except (OSError, ValueError, AttributeError):  # no file behind it (a test's buffer)
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


class CheckProgress:
    """A ``reconciler.app.options.Progress``: ``start(total)``, then one call per result.

    On a terminal (``stream``, default standard error): a bar, and each failed endpoint
    printed above it. Elsewhere, one log line per endpoint, unless ``stream`` and
    ``report`` (where the command's report goes, default standard output) are one file:
    the report names every endpoint, and a log must not show each one twice.
    """

    def __init__(self, stream: IO[str] | None = None, report: IO[str] | None = None) -> None:
        self._stream = sys.stderr if stream is None else stream
        self._report = sys.stdout if report is None else report
        self._bar: Any = None
        self._task: Any = None
        self._quiet = False

    def start(self, total: int) -> None:
        if not total:
            return
        if not self._stream.isatty():
            self._quiet = same_file(self._stream, self._report)
            if self._quiet:
                from reconciler.cli.common import plural

                click.echo(f"live checks: {plural(total, 'endpoint')}…", file=self._stream)
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        from reconciler.cli.common import colour

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=self._stream, no_color=not colour(self._stream)),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task("live checks", total=total)

    def __call__(self, result: CheckResult) -> None:
        if self._bar is None:
            if not self._quiet:
                click.echo(describe(result), file=self._stream)
            return
        self._bar.advance(self._task)
        if not result.passed:
            from rich.text import Text

            # A Text, not markup=False: that option would also reach the bar, redrawn
            # in the same call, and print its column's markup literally.
            self._bar.console.print(Text(describe(result)))

    def __enter__(self) -> CheckProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

"""Progress of live checks: a bar for a person at a terminal, one line per endpoint in
CI logs (which a bar would fill with control characters)."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any

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


class CheckProgress:
    """A ``reconciler.app.options.Progress``: ``start(total)``, then one call per result."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def start(self, total: int) -> None:
        if not total or not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task("live checks", total=total)

    def __call__(self, result: CheckResult) -> None:
        if self._bar is None:
            click.echo(describe(result), err=True)
            return
        self._bar.advance(self._task)
        if not result.passed:
            self._bar.console.print(describe(result), markup=False, highlight=False)

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

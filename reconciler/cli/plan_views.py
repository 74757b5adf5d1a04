"""What plan, apply and rollback show: the plan in the chosen format, the review
before an apply, and what an apply did."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from reconciler.cli.boundary import show_diagnostics
from reconciler.cli.common import colour, plural
from reconciler.plan.document import PlanDocument
from reconciler.render import plan_github, plan_markdown, plan_text

if TYPE_CHECKING:
    from reconciler.app.apply import Applied
    from reconciler.app.plan import Planned
    from reconciler.app.publish import Published
    from reconciler.app.recheck import Recheck


def render(document: PlanDocument, fmt: str) -> str:
    """The plan in ``fmt``, ending in exactly one new line."""
    if fmt == "json":
        return document.to_json()
    if fmt == "markdown":
        text = plan_markdown.render(document)
    elif fmt == "github":
        text = plan_github.render(document)
    else:
        text = plan_text.render(document, colour=colour(sys.stdout))
    return text.rstrip("\n") + "\n" if text else ""


def saved(planned: Planned) -> None:
    if planned.saved is not None:
        click.echo(
            f"Saved the plan to {planned.saved}; apply it with: mailctl apply {planned.saved}",
            err=True,
        )


class Review:
    """Shows the plan in text, then asks on the terminal (or --auto-approve)."""

    def __init__(self, auto_approve: bool) -> None:
        self.auto_approve = auto_approve

    def show(self, planned: Planned) -> None:
        show_diagnostics(planned.warnings, "text")
        click.echo(render(planned.document, "text"), nl=False)

    def confirm(self, where: str) -> bool:
        if self.auto_approve:
            return True
        if not sys.stdin.isatty():
            from reconciler.errors import MailctlError

            raise MailctlError(
                "refusing to apply without confirmation: no terminal to ask on; "
                "pass --auto-approve, or apply a saved plan"
            )
        return click.confirm(f"Apply these changes to {where}?", default=False)


def told(again: Recheck) -> None:
    """Why a saved plan's own live checks are not used, and what was done instead."""
    if again.checks is None:
        click.echo(
            f"The plan's live checks are not used: {again.reason}; with --no-checks "
            "they are not checked again.",
            err=True,
        )
        return
    verdict = "failed" if again.checks.status == "failed" else "passed"
    click.echo(
        f"The plan's live checks are not used: {again.reason}; its changed endpoints "
        f"were checked again: {verdict}.",
        err=True,
    )


def say_applied(applied: Applied) -> None:
    """What the apply stored, or (last) that it stored nothing and why."""
    if applied.nothing_applied is not None:
        say_published(applied.published)
        say_nothing_applied(applied.nothing_applied)
        return
    summary = applied.summary
    ranges = plural(summary.ranges_added + summary.ranges_removed, "range change")
    click.echo(
        f"Applied: serial {applied.serial} ({summary.create} created, "
        f"{summary.update} updated, {summary.delete} deleted, {ranges})."
    )
    say_published(applied.published)


def say_nothing_applied(why: str, *, refused: bool = False) -> None:
    """The one closing line of an apply that stored nothing: on standard error when it
    was refused or declined, with the output otherwise."""
    click.echo(f"Nothing applied: {why}.", err=refused)


def say_published(published: Published | None) -> None:
    if published is None:
        return
    if published.allowlist is None or published.report is None:
        click.echo("No allowlists written: the store is empty.")
        return
    count = len(published.allowlist.domains)
    what = " (desired state, not applied)" if published.allowlist.origin.kind == "desired" else ""
    click.echo(
        f"Allowlists of {count} static-IP domain{'s' if count != 1 else ''}{what} in "
        f"{published.out}: {published.report.describe()}."
    )

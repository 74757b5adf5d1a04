"""``mailctl check``: live-check endpoints on their own, without a store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.boundary import input_view, show_diagnostics
from reconciler.cli.common import check_options, colour, credential_policy, plural
from reconciler.cli.progress import CheckProgress, describe
from reconciler.render import json_output

if TYPE_CHECKING:
    from reconciler.app.options import CheckOptions, Targets


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--domain",
    "domains",
    multiple=True,
    metavar="DOMAIN",
    help="Check only this domain's endpoints (repeatable). Default: every domain.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json: the evidence of every endpoint.",
)
@check_options(skippable=False)
def check(
    path: Path,
    domains: tuple[str, ...],
    fmt: str,
    checks: CheckOptions | None,
    targets: Targets,
) -> None:
    """Connect to the IMAP and SMTP servers of the domains at PATH and prove they work.

    Per endpoint: DNS, TCP, TLS (implicit, or STARTTLS, which must be offered: never a
    fall-back to plaintext), the certificate (trusted CA and host name, or the pin when
    non-secure certificates are allowed), greeting and capabilities, and a login when
    the domain names credential environment variables that are set. Only names that
    $MAILCTL_CREDENTIAL_ENV allows (default MAIL_LOGIN_*) may be named, never MAILCTL_*
    or a CI secret. Endpoints shared by several domains are checked once. Exits 3 if
    any check fails.

    \b
    Examples:
      mailctl check domains.yaml
      mailctl check domains.yaml --domain example.com --format json
    """
    from reconciler.app.check import CheckRequest
    from reconciler.app.check import check as checking

    assert checks is not None  # check has no --no-checks
    input_view(fmt, path)
    request = CheckRequest(path, domains, checks, credential_policy())
    with CheckProgress() as progress:
        checked = checking(request, progress)
    show_diagnostics(checked.warnings, "text")
    evidence = checked.evidence
    if fmt == "json":
        click.echo(json_output.as_json(json_output.check_document(evidence)))
    else:
        for endpoint in evidence.endpoints:
            line = describe(endpoint.result)
            ok = endpoint.result.passed
            mark = click.style("✓", fg="green") if ok else click.style("✗", fg="red", bold=True)
            if not colour(sys.stdout):
                mark = "ok  " if ok else "FAIL"
            click.echo(f"{mark} {line.removeprefix('check ')}  [{', '.join(endpoint.domains)}]")
            for warning in endpoint.result.warnings:
                click.echo(f"     warning: {warning}")
        failed = len(evidence.failed())
        total = len(evidence.endpoints)
        click.echo(
            f"{plural(total, 'endpoint')} checked: {total - failed} passed, {failed} failed."
        )
    sys.exit(checked.status)

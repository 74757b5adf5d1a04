"""``mailctl validate`` and ``mailctl schema``."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.boundary import input_view, show_diagnostics
from reconciler.cli.common import credential_policy, plural
from reconciler.desired.loader import load, summary_counts
from reconciler.desired.schemas import SCHEMAS
from reconciler.desired.schemas import render as render_schema
from reconciler.render import diagnostics as render_diagnostics

DIAGNOSTIC_FORMAT = click.Choice(["text", "json", "github"])


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=DIAGNOSTIC_FORMAT,
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
    input_view(fmt, path)
    loaded = load(path, credential_policy())
    counts = summary_counts(loaded)
    if fmt == "json":
        click.echo(
            render_diagnostics.as_json(loaded.warnings, ok=True, path=str(path), summary=counts)
        )
        return
    show_diagnostics(loaded.warnings, fmt)
    click.echo(
        f"{path}: valid: {plural(counts['domains'], 'domain')} "
        f"({counts['static_ip_domains']} with static IP addresses) in "
        f"{plural(counts['files'], 'file')}"
        + (
            f"; {plural(counts['feeds'], 'feed')} of connection IPs not read (plan reads them)"
            if counts["feeds"]
            else ""
        )
    )


@click.command()
@click.argument("name", type=click.Choice(sorted(SCHEMAS)), default="domains")
def schema(name: str) -> None:
    """Print the JSON Schema of a mailctl file format (default: domains).

    Point your editor at it for completion and checks while you type; the
    yaml-language-server modeline in examples/domains.yaml shows how.
    """
    click.echo(render_schema(name), nl=False)

"""``mailctl audit``: re-check every stored domain, judge against the evidence history."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.boundary import input_view
from reconciler.cli.common import check_options, state_option
from reconciler.cli.progress import CheckProgress

if TYPE_CHECKING:
    from reconciler.app.options import CheckOptions, Targets

FORMATS = ("text", "json", "markdown", "github", "prometheus")
HISTORY_FORMATS = ("text", "json")


@click.command()
@state_option
@click.option(
    "--domain",
    "domains",
    multiple=True,
    metavar="DOMAIN",
    help="Audit only this stored domain (repeatable). Default: every stored domain.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people; json for programs (the audit workflow); markdown for a job "
    "summary; github for workflow annotations; prometheus: node_exporter's textfile format.",
)
@click.option(
    "--warn-days",
    type=click.IntRange(min=0),
    default=21,
    show_default=True,
    help="Warn when a certificate expires within this many days.",
)
@click.option(
    "--critical-days",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    help="Fail when a certificate expires within this many days.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 3) on warnings too.")
@click.option(
    "--no-record",
    is_flag=True,
    help="Judge against the history but record nothing (works on a read-only store).",
)
@click.option(
    "--retention",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    metavar="RUNS",
    help="Keep the evidence of this many runs per endpoint.",
)
@click.option(
    "--prometheus-out",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Also write the Prometheus metrics to PATH, atomically (for node_exporter's "
    "textfile collector).",
)
@click.option(
    "--history",
    metavar="DOMAIN",
    help="Show DOMAIN's recorded evidence, oldest first (text or json), and check nothing.",
)
@check_options(skippable=False)
def audit(
    state_url: str | None,
    domains: tuple[str, ...],
    fmt: str,
    warn_days: int,
    critical_days: int,
    strict: bool,
    no_record: bool,
    retention: int,
    prometheus_out: Path | None,
    history: str | None,
    checks: CheckOptions | None,
    targets: Targets,
) -> None:
    """Re-check every endpoint of every stored domain and judge it against its history.

    Fails (exit 3) on an unreachable or failing endpoint, a certificate expired or
    within --critical-days, a certificate that no longer matches the domain's pin, a
    STARTTLS offer lost, or a login newly failing; warns on a certificate within
    --warn-days, a certificate changed since the last run, or a lower TLS version.
    Warnings fail only with --strict. The evidence is recorded in the store (the last
    --retention runs per endpoint are kept) unless --no-record.

    \b
    Examples:
      mailctl audit --state postgresql://mailctl@db/mailctl --format json
      mailctl audit --format prometheus --prometheus-out /var/lib/node_exporter/mailctl.prom
      mailctl audit --history example.com
    """
    from reconciler.app import audit as app
    from reconciler.plan.audit_judge import Horizons
    from reconciler.render import audit_history, audit_prometheus, audit_report

    input_view(fmt)
    if history is not None:
        if fmt not in HISTORY_FORMATS:
            raise click.UsageError("--history shows text or json: --format text|json")
        records = app.timeline(state_url, history)
        name = records[0].domain if records else history
        shown = audit_history.as_json if fmt == "json" else audit_history.text
        click.echo(shown(name, records))
        return
    assert checks is not None  # audit has no --no-checks
    request = app.AuditRequest(
        state_url=state_url,
        only=domains,
        checks=checks,
        horizons=Horizons(warn_days=warn_days, critical_days=critical_days),
        strict=strict,
        record=not no_record,
        keep=retention,
    )
    with CheckProgress() as progress:
        audited = app.audit(request, progress=progress)
    metrics = audit_prometheus.render(audited)
    if prometheus_out is not None:
        app.write_metrics(prometheus_out, metrics)
    if fmt == "json":
        click.echo(audit_report.as_json(audited))
    elif fmt == "markdown":
        click.echo(audit_report.markdown(audited), nl=False)
    elif fmt == "github":
        click.echo(audit_report.github(audited))
    elif fmt == "prometheus" and prometheus_out is None:
        click.echo(metrics, nl=False)
    else:
        click.echo(audit_report.text(audited))
    sys.exit(audited.status)

"""``mailctl serve``: the applied settings over HTTP for inboxes, mail clients and
firewall admins."""

from __future__ import annotations

import click

from reconciler.app import serve as app
from reconciler.cli.common import state_option


@click.command()
@state_option
@click.option(
    "--bind",
    default=app.DEFAULT_BIND,
    show_default=True,
    metavar="HOST:PORT",
    help="Address to listen on; [::1]:8080 for IPv6. Put a TLS proxy in front of it.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=64),
    default=1,
    show_default=True,
    help="Worker processes; each holds the whole snapshot in memory.",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0.1, max=3600),
    default=app.DEFAULT_INTERVAL,
    show_default=True,
    metavar="SECONDS",
    help="How often each worker asks the store whether its serial moved.",
)
def serve(state_url: str | None, bind: str, workers: int, poll_interval: float) -> None:
    """Serve the applied settings over HTTP, reading the store read-only.

    Every answer comes from one in-memory snapshot of one serial; an apply is picked
    up within --poll-interval seconds, never half applied. Stop it with SIGTERM or
    Ctrl-C: requests in flight finish first.

    \b
    Endpoints (all GET, public, with ETag and Cache-Control):
      /v1/domains, /v1/domains/DOMAIN          settings as JSON
      /v1/settings?email=ADDRESS               pre-population: login name filled in
      /v1/connection-ips[.txt]                 ranges to allow, JSON or one CIDR a line
      /v1/domains/DOMAIN/connection-ips[.txt]  the same for one domain
      /mail/config-v1.1.xml?emailaddress=A     Thunderbird autoconfig (also under
                                               /.well-known/autoconfig/)
      /healthz, /metrics, /openapi.json        operations

    \b
    Examples:
      mailctl serve
      mailctl serve --state postgresql://reader@db/mailctl --bind 0.0.0.0:8080 --workers 4
    """
    app.serve(
        app.ServeOptions(
            state_url=state_url, bind=bind, workers=workers, poll_interval=poll_interval
        )
    )

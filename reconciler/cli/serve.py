"""``mailctl serve``: the applied settings over HTTP for inboxes, mail clients and
firewall admins."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.common import state_option
from reconciler.serve.defaults import DEFAULT_BIND, DEFAULT_INTERVAL


@click.command()
@state_option
@click.option(
    "--bind",
    default=DEFAULT_BIND,
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
    default=DEFAULT_INTERVAL,
    show_default=True,
    metavar="SECONDS",
    help="How often each worker asks the store whether its serial moved.",
)
@click.option(
    "--sign-cert",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Sign Apple profiles with this PEM certificate (needs --sign-key).",
)
@click.option(
    "--sign-key",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="The certificate's private key, PEM, unencrypted; read once, never logged.",
)
@click.option(
    "--sign-chain",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Intermediate certificates (PEM) sent with the signature.",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="MAILCTL_SERVE_TOKEN_FILE",
    metavar="FILE",
    help="Bearer token that opens the /v1/inboxes endpoints (file mode 600); "
    "else $MAILCTL_SERVE_TOKEN; neither: those endpoints are off.",
)
def serve(
    state_url: str | None,
    bind: str,
    workers: int,
    poll_interval: float,
    sign_cert: Path | None,
    sign_key: Path | None,
    sign_chain: Path | None,
    token_file: Path | None,
) -> None:
    """Serve the applied settings over HTTP, reading the store read-only.

    Every answer comes from one in-memory snapshot of one serial; an apply is picked
    up within --poll-interval seconds, never half applied. Stop it with SIGTERM or
    Ctrl-C: requests in flight finish first.

    \b
    Endpoints (public, GET unless said, the first ones with ETag and Cache-Control):
      /                                        the page for people: settings, connection
                                               IPs with a Copy button (?page=N, ?q=NAME)
      /v1/domains, /v1/domains/DOMAIN          settings as JSON
      /v1/settings?email=ADDRESS               pre-population: login name filled in
      /v1/connection-ips[.txt]                 ranges to allow, JSON or one CIDR a line
      /v1/domains/DOMAIN/connection-ips[.txt]  the same for one domain
      /mail/config-v1.1.xml?emailaddress=A     Thunderbird autoconfig (also under
                                               /.well-known/autoconfig/)
      POST /autodiscover/autodiscover.xml      Outlook Autodiscover (path in any case)
      /mobileconfig?emailaddress=A             Apple profile (signed with --sign-*)
      /healthz, /metrics, /openapi.json        operations

    \b
    With a token (--token-file or $MAILCTL_SERVE_TOKEN), Authorization: Bearer TOKEN:
      POST /v1/inboxes {"address": A}          connect (201 new, 200 already)
      GET /v1/inboxes[?domain=DOMAIN]          list
      DELETE /v1/inboxes/ADDRESS               disconnect (204)

    \b
    Examples:
      mailctl serve
      mailctl serve --state postgresql://reader@db/mailctl --bind 0.0.0.0:8080 --workers 4
      mailctl serve --sign-cert profile.crt --sign-key profile.key --token-file token
    """
    # Imported here: listing the commands (``mailctl --help``) must not load the HTTP
    # stack (Starlette, uvicorn, Jinja2).
    from reconciler.serve import run

    run.serve(
        run.ServeOptions(
            state_url=state_url,
            bind=bind,
            workers=workers,
            poll_interval=poll_interval,
            sign_cert=sign_cert,
            sign_key=sign_key,
            sign_chain=sign_chain,
            token_file=token_file,
        )
    )

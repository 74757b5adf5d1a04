"""``mailctl inbox verify`` and the views of a verification (``inbox connect --verify``)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from reconciler.app import verify as app
from reconciler.cli.boundary import input_view
from reconciler.cli.common import Pinned, state_option, target_options, targets_from

FORMAT_VERSION = 1  # of the JSON document: raised when a field changes meaning or goes away

F = TypeVar("F", bound=Callable[..., Any])


def verify_options(func: F) -> F:
    """The credential, reach and deadline options; the command receives ``build``, a
    function from (address, state URL) to :class:`~reconciler.app.verify.VerifyOptions`."""

    @functools.wraps(func)
    def command(
        *args: Any,
        username_env: str | None,
        password_env: str | None,
        allow_plaintext_login: bool,
        deadline: float,
        allow_private_targets: bool,
        ca_file: Path | None,
        pinned: Pinned,
        **params: Any,
    ) -> Any:
        targets = targets_from(allow_private_targets, ca_file, pinned)

        def build(address: str, state_url: str | None) -> app.VerifyOptions:
            if password_env is None:
                raise click.UsageError("--password-env VAR is needed to verify an inbox")
            return app.VerifyOptions(
                address,
                password_env,
                username_env,
                state_url,
                targets,
                deadline=deadline,
                allow_plaintext_login=allow_plaintext_login,
            )

        return func(*args, build=build, **params)

    decorated = target_options(command)
    for option in (
        click.option(
            "--deadline",
            type=click.FloatRange(min=1, max=300),
            default=app.DEFAULT_DEADLINE,
            show_default=True,
            metavar="SECONDS",
            help="Total time the verification may take once the name is resolved.",
        ),
        click.option(
            "--allow-plaintext-login",
            is_flag=True,
            help="Send the password even when the domain's IMAP security is none "
            "(unencrypted); refused by default.",
        ),
        click.option(
            "--username-env",
            metavar="VAR",
            help="Environment variable holding the user name. Default: the address.",
        ),
        click.option(
            "--password-env",
            metavar="VAR",
            help="Environment variable holding the password (never printed).",
        ),
    ):
        decorated = option(decorated)
    return cast(F, decorated)


def record(verified: app.Verified) -> dict[str, Any]:
    """The verification as JSON values; ``problem`` is None when it passed."""
    outcome, mailbox, found = verified.outcome, verified.mailbox, verified.problem
    imap = verified.domain.imap
    return {
        "address": verified.address,
        "domain": verified.domain.name,
        "server": {
            "host": imap.host,
            "port": imap.port,
            "security": imap.security,
            "addresses": list(outcome.addresses),
            "connected_address": outcome.connected_address,
            "tls_version": outcome.tls_version,
            "certificate_sha256": outcome.certificate.sha256 if outcome.certificate else None,
        },
        "username_from": verified.username_from,
        "login": mailbox is not None,
        "mailbox": None
        if mailbox is None
        else {
            "folders": list(mailbox.folders),
            "folders_total": mailbox.folder_total,
            "folders_shown_at_most": 1000,
            "inbox_messages": mailbox.messages,
            "inbox_uidvalidity": mailbox.uidvalidity,
            "inbox_uidnext": mailbox.uidnext,
            "idle": mailbox.idle,
            "quota": None
            if mailbox.quota is None
            else [
                {"root": q.root, "resource": q.resource, "usage": q.usage, "limit": q.limit}
                for q in mailbox.quota
            ],
            "capabilities": list(mailbox.capabilities),
        },
        "problem": None
        if found is None
        else {"kind": found.kind, "step": found.step, "reason": found.reason, "hint": found.hint},
        "warnings": list(outcome.warnings),
    }


def document(verified: app.Verified, **more: Any) -> dict[str, Any]:
    passed = int(verified.problem is None)
    summary = {"verified": passed, "failed": 1 - passed}
    return {"format_version": FORMAT_VERSION, "summary": summary, **record(verified), **more}


def lines(verified: app.Verified) -> list[str]:
    """The text view: a verdict line, then the facts or the reason and its hint."""
    imap = verified.domain.imap
    where = f"{imap.host}:{imap.port} {imap.security}"
    found, mailbox = verified.problem, verified.mailbox
    shown = [f"warning: {w}" for w in verified.outcome.warnings]
    if found is not None or mailbox is None:
        assert found is not None
        return [f"FAIL {verified.address} at {where}: {found.reason}", f"  hint: {found.hint}"]
    folders = ", ".join(mailbox.folders)
    if mailbox.folder_total > len(mailbox.folders):
        folders += f" (first {len(mailbox.folders)} of {mailbox.folder_total})"
    quota = (
        "not offered"
        if mailbox.quota is None
        else "; ".join(f"{q.resource} {q.usage} of {q.limit}" for q in mailbox.quota) or "none set"
    )
    return [
        f"ok   {verified.address} at {where}: login ok (user from {verified.username_from})",
        f"  INBOX: {mailbox.messages} messages, UIDVALIDITY {mailbox.uidvalidity}",
        f"  folders ({mailbox.folder_total}): {folders}",
        f"  IDLE: {'yes' if mailbox.idle else 'no'}; quota: {quota}",
        *(f"  {line}" for line in shown),
    ]


@click.command(name="verify")
@click.argument("address")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json for tools.",
)
@verify_options
@state_option
def verify_command(
    address: str,
    fmt: str,
    build: Callable[[str, str | None], app.VerifyOptions],
    state_url: str | None,
) -> None:
    """Log in to the IMAP server of the connected inbox ADDRESS and report what a
    mail client needs: folders, INBOX message count and UIDVALIDITY (read-only
    EXAMINE), IDLE support and quota.

    The server and its TLS rules are the domain's, as stored; the connection goes
    through the same target guard as check. The password is read from the variable
    --password-env names, the user name from --username-env (default: ADDRESS); only
    names that $MAILCTL_CREDENTIAL_ENV allows (default MAIL_LOGIN_*) may be named.
    Exits 3 if the verification fails, 1 for an unknown inbox or an unset variable.

    \b
    Examples:
      mailctl inbox verify alice@example.com --password-env MAIL_LOGIN_PASSWORD
      mailctl inbox verify bob@example.com --username-env MAIL_LOGIN_USER \\
          --password-env MAIL_LOGIN_PASSWORD --format json
    """
    input_view(fmt)
    verified = app.verify(build(address, state_url))
    if fmt == "json":
        click.echo(json.dumps(document(verified), indent=2))
    else:
        click.echo("\n".join(lines(verified)))
    sys.exit(verified.status)

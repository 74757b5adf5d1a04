"""The ``mailctl`` click group. Commands are imported only when used, so ``mailctl
validate`` does not pay for the store, the plan renderers or SQLAlchemy."""

from __future__ import annotations

import importlib

import click

from reconciler import __version__

# command name -> module that defines it (a click command of the same name), or
# "module:attribute" when the attribute cannot have the command's name
COMMANDS = {
    "validate": "reconciler.cli.validate",
    "schema": "reconciler.cli.validate",
    "check": "reconciler.cli.check",
    "audit": "reconciler.cli.audit",
    "plan": "reconciler.cli.planning",
    "apply": "reconciler.cli.planning",
    "rollback": "reconciler.cli.planning",
    "show": "reconciler.cli.inspect",
    "history": "reconciler.cli.inspect",
    "export": "reconciler.cli.inspect",
    "allowlist": "reconciler.cli.allowlist",
    "inbox": "reconciler.cli.inbox",
    "lock": "reconciler.cli.lock",
    "autoconfig": "reconciler.cli.autoconfig",
    "import": "reconciler.cli.autoconfig:import_",
    "report": "reconciler.cli.report",  # "import" is a Python keyword
    "init": "reconciler.cli.tidy",
    "fmt": "reconciler.cli.tidy",
    "serve": "reconciler.cli.serve",
}


class LazyGroup(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        """Run the command; the one place its expected failures become exit codes."""
        from reconciler.cli import boundary
        from reconciler.errors import MailctlError

        try:
            return super().invoke(ctx)
        except MailctlError as exc:
            raise click.exceptions.Exit(boundary.report(exc, ctx)) from None
        except click.UsageError as exc:
            code = boundary.report_usage(exc, ctx)
            if code is None:
                raise
            raise click.exceptions.Exit(code) from None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """The command named first in ``args``; a typo in its name gets the names it
        is close to (click finds none itself: the commands are not loaded yet), and a
        Terraform spelling of one of its options the mailctl spelling."""
        from reconciler.cli.manners import check_spellings

        try:
            name, command, rest = super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            raise click.exceptions.NoSuchCommand(
                exc.command_name, possibilities=sorted(COMMANDS), ctx=ctx
            ) from None
        if command is not None and not ctx.resilient_parsing:
            check_spellings(self, command, rest)
        return name, command, rest

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute or cmd_name)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module}.{cmd_name} is not a click command")
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="mailctl")
@click.option(
    "--no-color",
    "--no-colour",
    "no_color",
    is_flag=True,
    help="No colour in any output, even at a terminal (as NO_COLOR=1 does).",
)
def cli(no_color: bool) -> None:
    """Email-domain IMAP/SMTP connection settings as code.

    Keep the settings of every email domain in a version-controlled domains.yaml;
    mailctl checks them, shows what would change and applies reviewed changes to the
    store of record (SQLite by default, PostgreSQL for teams).

    \b
    Typical flow:
      mailctl validate domains.yaml            check the file; no network, no store
      mailctl check domains.yaml               prove the mail servers work (live)
      mailctl plan domains.yaml --out p.json   show what would change, save the plan
      mailctl apply p.json                     apply exactly that reviewed plan
      mailctl history                          every apply; mailctl rollback --to N

    \b
    Exit codes: 0 ok/no changes, 1 error in input or usage, 2 changes present
    (with --detailed-exitcode), 3 a connection check failed, 4 blocked by a gate.
    """

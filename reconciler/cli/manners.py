"""Habits brought from other tools, answered with the spelling mailctl takes.

Terraform and OpenTofu write long options with one dash (``-auto-approve``,
``-out=plan.json``); click would read ``-auto-approve`` as the short options ``-a``,
``-u``, … and say only "No such option: -a". Options of ``mailctl`` itself
(``--no-color``) go before the command, and an option written after it is named so.
"""

from __future__ import annotations

import click


def long_options(command: click.Command) -> set[str]:
    """Every ``--name`` spelling of ``command``'s options (``--x/--no-x`` both)."""
    return {
        spelling
        for param in command.params
        for spelling in (*param.opts, *param.secondary_opts)
        if spelling.startswith("--")
    }


def check_spellings(root: click.Command, command: click.Command, args: list[str]) -> None:
    """Raise a UsageError with the right spelling for the first of ``args`` (those given
    to ``command``) that is one of its long options written with one dash, or one of
    ``root``'s options written after the command."""
    ours = long_options(command)
    global_only = long_options(root) - ours
    for arg in args:
        if arg == "--":  # what follows is no option
            return
        name, equals, value = arg.partition("=")
        if name.startswith("-") and not name.startswith("--") and len(name) > 2:
            spelled = "-" + name
            if spelled in ours:
                raise click.UsageError(
                    f"no such option {name}: did you mean {spelled}{equals}{value}? "
                    "(mailctl writes long options with two dashes)"
                )
            if spelled in global_only:
                name = spelled  # the habit and the place at once: answered below
        if name in global_only:
            raise click.UsageError(
                f"{name} is an option of mailctl itself: write it before the command, "
                f"as in mailctl {name} {command.name} …"
            )

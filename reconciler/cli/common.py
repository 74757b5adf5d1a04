"""Pieces shared by the commands: exit codes, options, output helpers."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

import click

from reconciler.desired.credential_env import CredentialPolicy

if TYPE_CHECKING:
    from reconciler.allowlist.fetch import FetchOptions
    from reconciler.app.options import Targets

Pinned = dict[str, list[str]]

F = TypeVar("F", bound=Callable[..., Any])


def colour(stream: IO[Any] = sys.stdout) -> bool:
    """Colour only for a person at a terminal, never when NO_COLOR is set (no-color.org)
    or ``mailctl --no-color`` was given."""
    if os.environ.get("NO_COLOR") or _no_colour_asked():
        return False
    return stream.isatty()


def _no_colour_asked() -> bool:
    ctx = click.get_current_context(silent=True)
    return ctx is not None and bool(ctx.find_root().params.get("no_color"))


def plural(count: int, word: str, many: str = "") -> str:
    """``1 domain``, ``2 domains``; ``many`` for words that do not just add an s."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def credential_policy() -> CredentialPolicy:
    """Which variables a domains file may name as credentials: the operator's
    ``MAILCTL_CREDENTIAL_ENV``, set outside any domains file (InputError if malformed)."""
    return CredentialPolicy.from_env(os.environ)


def state_option(func: F) -> F:
    return click.option(
        "--state",
        "state_url",
        metavar="URL",
        help="Store URL: sqlite:///path/state.db or postgresql://user@host/db. "
        "Default: $MAILCTL_STATE, else sqlite:///.mailctl/state.db in the current folder.",
    )(func)


def lock_timeout_option(func: F) -> F:
    return click.option(
        "--lock-timeout",
        type=click.FloatRange(min=0),
        default=5.0,
        show_default=True,
        metavar="SECONDS",
        help="How long to wait for another apply that holds the store's lock.",
    )(func)


def targeting_options(func: F) -> F:
    """``--domain`` and ``--exclude``, each repeatable; the command receives them as
    ``targeting: Selection``."""
    from reconciler.app.targeting import Selection

    @functools.wraps(func)
    def command(*args: Any, **params: Any) -> Any:
        chosen = Selection(params.pop("target_domains"), params.pop("excluded_domains"))
        return func(*args, targeting=chosen, **params)

    command = click.option(
        "--exclude",
        "excluded_domains",
        multiple=True,
        metavar="DOMAIN",
        help="Leave this domain's changes out of the plan (repeatable); recorded in it.",
    )(command)
    command = click.option(
        "--domain",
        "target_domains",
        multiple=True,
        metavar="DOMAIN",
        help="Plan only this domain's changes (repeatable), like Terraform's -target; "
        "the rest are shown as not planned. Recorded in the plan.",
    )(command)
    return cast(F, command)


def gate_options(func: F) -> F:
    """One --allow-… flag per gate that has an override, and the mass-change gate's
    thresholds; the command receives the gates they lift as ``lifted: frozenset[str]``
    and the thresholds as ``thresholds: Thresholds``."""
    from reconciler.app.options import Thresholds
    from reconciler.plan.gates import OVERRIDES

    names = {gate: f"lift_{gate.replace('-', '_')}" for gate in OVERRIDES}

    @functools.wraps(func)
    def command(*args: Any, **params: Any) -> Any:
        lifted = frozenset(gate for gate, name in names.items() if params.pop(name))
        thresholds = Thresholds(params.pop("mass_change_percent"), params.pop("mass_change_floor"))
        return func(*args, lifted=lifted, thresholds=thresholds, **params)

    command = click.option(
        "--mass-change-floor",
        type=click.IntRange(min=0),
        envvar="MAILCTL_MASS_CHANGE_FLOOR",
        metavar="DOMAINS",
        help="Judge the mass-change gate only from this many stored domains on (default "
        "10; below it the share means little). Recorded in the plan. Also: "
        "MAILCTL_MASS_CHANGE_FLOOR.",
    )(command)
    command = click.option(
        "--mass-change-percent",
        type=click.IntRange(min=0, max=100),
        envvar="MAILCTL_MASS_CHANGE_PERCENT",
        metavar="PERCENT",
        help="Block when more than this share of the stored domains is changed or deleted "
        "(default 30). Recorded in the plan; a saved plan's apply may only repeat it. "
        "Also: MAILCTL_MASS_CHANGE_PERCENT.",
    )(command)
    for gate, flag in sorted(OVERRIDES.items(), reverse=True):
        command = click.option(
            flag, names[gate], is_flag=True, help=f"Apply even though the {gate} gate blocks."
        )(command)
    return cast(F, command)


def _pin(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, list[str]]:
    from reconciler.app.options import PinError, pins

    try:
        return pins(values)
    except PinError as problem:
        raise click.BadParameter(str(problem)) from None


def target_options(func: F) -> F:
    """Options of everything mailctl connects to: mail servers (checks) and feed URLs."""
    func = click.option(
        "--resolve",
        "pinned",
        multiple=True,
        metavar="HOST=ADDRESS",
        callback=_pin,
        help="Connect to HOST at ADDRESS instead of its DNS answer (repeatable), e.g. to "
        "prove a new server before DNS moves. The address is still judged by the target guard.",
    )(func)
    func = click.option(
        "--ca-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Verify certificates against this CA bundle instead of the system's.",
    )(func)
    return click.option(
        "--allow-private-targets",
        is_flag=True,
        help="Let mailctl connect to loopback, private and link-local addresses (refused "
        "by default: a pull request must not turn CI into a port scanner). Also: "
        "MAILCTL_ALLOW_PRIVATE_TARGETS=1.",
    )(func)


def feed_timeout_option(func: F) -> F:
    return click.option(
        "--feed-timeout",
        type=click.FloatRange(min=1, max=600),
        default=30.0,
        show_default=True,
        metavar="SECONDS",
        help="Time one https:// feed of connection_ips may take to download.",
    )(func)


def targets_from(allow_private_targets: bool, ca_file: Path | None, pinned: Pinned) -> Targets:
    """The targets the user allowed: --allow-private-targets (or its variable), the CA
    file and the --resolve pins."""
    from reconciler.app.options import Targets, allow_private_from_env

    allow = allow_private_targets or allow_private_from_env(os.environ)
    return Targets(allow_private=allow, ca_file=ca_file, pinned=pinned)


def fetch_options_from(params: dict[str, Any]) -> FetchOptions:
    """The feed download options of a command taking :func:`target_options` and
    :func:`feed_timeout_option` as plain parameters."""
    targets = targets_from(params["allow_private_targets"], params["ca_file"], params["pinned"])
    return targets.fetch(timeout=params.pop("feed_timeout"))


def check_options(*, skippable: bool) -> Callable[[F], F]:
    """Options of the live checks (and of feed downloads); ``skippable`` adds --no-checks.
    The command receives ``checks: CheckOptions | None`` (None: --no-checks) and
    ``targets: Targets`` (for feed downloads)."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def command(
            *args: Any,
            allow_private_targets: bool,
            ca_file: Path | None,
            pinned: Pinned,
            check_deadline: float,
            check_pool: int,
            no_checks: bool = False,
            **params: Any,
        ) -> Any:
            targets = targets_from(allow_private_targets, ca_file, pinned)
            checks = None if no_checks else targets.checks(deadline=check_deadline, pool=check_pool)
            return func(*args, checks=checks, targets=targets, **params)

        decorated = target_options(command)
        decorated = click.option(
            "--check-pool",
            type=click.IntRange(min=1, max=512),
            default=32,
            show_default=True,
            help="Endpoints checked at once (never more than 5 connections to one server).",
        )(decorated)
        decorated = click.option(
            "--check-deadline",
            type=click.FloatRange(min=1, max=300),
            default=30.0,
            show_default=True,
            metavar="SECONDS",
            help="Total time one endpoint's check may take; every step also has a timeout.",
        )(decorated)
        if skippable:
            decorated = click.option(
                "--no-checks",
                is_flag=True,
                help="Skip the live checks. The plan records it, and apply then refuses "
                "it unless --allow-unchecked.",
            )(decorated)
        return cast(F, decorated)

    return decorate


def check_origin(origin: str, path: Path | None) -> None:
    """``--from desired`` reads PATH; ``--from stored`` reads the store and no PATH."""
    if origin == "desired" and path is None:
        raise click.UsageError("--from desired needs PATH, the domains file or folder")
    if origin == "stored" and path is not None:
        raise click.UsageError(
            f"PATH ({path}) is read only with --from desired; --from stored (the default) "
            "reads the store"
        )

"""Pieces shared by the commands: exit codes, options, output helpers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from reconciler.desired.credential_env import CredentialPolicy
from reconciler.store.base import Store

if TYPE_CHECKING:
    from reconciler.allowlist.fetch import FetchOptions
    from reconciler.checks.live import CheckOptions

F = TypeVar("F", bound=Callable[..., Any])


def colour(stream: IO[Any] = sys.stdout) -> bool:
    """Colour only for a person at a terminal, never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


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


def gate_options(func: F) -> F:
    """One --allow-… flag per gate that has an override; collected into ``lifted``."""
    from reconciler.plan.gates import OVERRIDES

    for gate, flag in sorted(OVERRIDES.items(), reverse=True):
        func = click.option(
            flag,
            f"lift_{gate.replace('-', '_')}",
            is_flag=True,
            help=f"Apply even though the {gate} gate blocks.",
        )(func)
    return func


def lifted_gates(params: dict[str, Any]) -> frozenset[str]:
    from reconciler.plan.gates import OVERRIDES

    return frozenset(g for g in OVERRIDES if params.pop(f"lift_{g.replace('-', '_')}", False))


@contextmanager
def opened_store(state_url: str | None) -> Iterator[Store]:
    from reconciler.store.open import open_store, resolve_url

    store = open_store(resolve_url(state_url, os.environ, Path.cwd()))
    try:
        yield store
    finally:
        store.close()


def _pin(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, list[str]]:
    from reconciler.net.resolver import PinProblem, parse_pin

    pinned: dict[str, list[str]] = {}
    for value in values:
        try:
            host, address = parse_pin(value)
        except PinProblem as problem:
            raise click.BadParameter(str(problem)) from None
        pinned.setdefault(host, []).append(address)
    return pinned


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


def fetch_options_from(params: dict[str, Any]) -> FetchOptions:
    """The feed download options; reads the shared target options without taking them."""
    from reconciler.allowlist.fetch import FetchOptions
    from reconciler.checks.live import allow_private_from_env

    return FetchOptions(
        timeout=params.pop("feed_timeout"),
        allow_private=params["allow_private_targets"] or allow_private_from_env(os.environ),
        ca_file=params["ca_file"],
        pinned=params["pinned"],
    )


def check_options(*, skippable: bool) -> Callable[[F], F]:
    """Options of the live checks (and of feed downloads); ``skippable`` adds --no-checks."""

    def decorate(func: F) -> F:
        func = target_options(func)
        func = click.option(
            "--check-pool",
            type=click.IntRange(min=1, max=512),
            default=32,
            show_default=True,
            help="Endpoints checked at once (never more than 5 connections to one server).",
        )(func)
        func = click.option(
            "--check-deadline",
            type=click.FloatRange(min=1, max=300),
            default=30.0,
            show_default=True,
            metavar="SECONDS",
            help="Total time one endpoint's check may take; every step also has a timeout.",
        )(func)
        if skippable:
            func = click.option(
                "--no-checks",
                is_flag=True,
                help="Skip the live checks. The plan records it, and apply then refuses "
                "it unless --allow-unchecked.",
            )(func)
        return func

    return decorate


def check_options_from(params: dict[str, Any]) -> CheckOptions | None:
    """Pop the check options out of a command's parameters (None: --no-checks)."""
    from reconciler.checks.live import CheckOptions, allow_private_from_env

    skip = params.pop("no_checks", False)
    options = CheckOptions(
        allow_private=params.pop("allow_private_targets") or allow_private_from_env(os.environ),
        ca_file=params.pop("ca_file"),
        deadline=params.pop("check_deadline"),
        pool=params.pop("check_pool"),
        pinned=params.pop("pinned"),
    )
    return None if skip else options


def check_origin(origin: str, path: Path | None) -> None:
    """``--from desired`` reads PATH; ``--from stored`` reads the store and no PATH."""
    if origin == "desired" and path is None:
        raise click.UsageError("--from desired needs PATH, the domains file or folder")
    if origin == "stored" and path is not None:
        raise click.UsageError(
            f"PATH ({path}) is read only with --from desired; --from stored (the default) "
            "reads the store"
        )

"""Pieces shared by the commands: exit codes, options, output helpers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from reconciler.plan.gates import OVERRIDES
from reconciler.store.base import Store

F = TypeVar("F", bound=Callable[..., Any])


def colour(stream: IO[Any] = sys.stdout) -> bool:
    """Colour only for a person at a terminal, never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


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
    for gate, flag in sorted(OVERRIDES.items(), reverse=True):
        func = click.option(
            flag,
            f"lift_{gate.replace('-', '_')}",
            is_flag=True,
            help=f"Apply even though the {gate} gate blocks.",
        )(func)
    return func


def lifted_gates(params: dict[str, Any]) -> frozenset[str]:
    return frozenset(g for g in OVERRIDES if params.pop(f"lift_{g.replace('-', '_')}", False))


@contextmanager
def opened_store(state_url: str | None) -> Iterator[Store]:
    from reconciler.store.open import open_store, resolve_url

    store = open_store(resolve_url(state_url, os.environ, Path.cwd()))
    try:
        yield store
    finally:
        store.close()

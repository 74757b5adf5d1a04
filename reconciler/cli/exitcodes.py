"""Exit codes: part of mailctl's interface, documented in the README; defined with the
rule that maps a plan to its status (``reconciler.plan.status``)."""

from reconciler.plan.status import (
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_CHECK_FAILED,
    EXIT_ERROR,
    EXIT_OK,
)

# Stopped by Ctrl-C (SIGINT): 128 + the signal's number, as shells report it.
EXIT_INTERRUPTED = 130

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_CHANGES",
    "EXIT_CHECK_FAILED",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
]

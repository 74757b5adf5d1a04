"""``--domain`` and ``--exclude`` on plan and apply: the names the user typed, judged.

A name is normalised as the loader normalises a domain key (case, trailing dot, IDNA),
so ``Bücher.Example.`` targets ``xn--bcher-kva.example``. A name that is neither in
the desired state nor in the store is a typo until proven otherwise: it is refused
(exit 1), with the closest known name when there is one, rather than planning nothing.
These are usage errors of options, not of a file, so they carry no file:line.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from reconciler.desired import names
from reconciler.desired.model import Desired
from reconciler.desired.state import StoredState
from reconciler.errors import MailctlError
from reconciler.plan.decisions import Decisions
from reconciler.plan.targeting import Targeting, narrowed


@dataclass(frozen=True)
class Selection:
    """The ``--domain`` and ``--exclude`` values as given (empty: not given)."""

    domains: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.domains or self.exclude)


EVERYTHING = Selection()
Chosen = tuple[tuple[str, ...], tuple[str, ...]]  # --domain and --exclude, normalised


class TargetingError(MailctlError):
    """A ``--domain``/``--exclude`` value that is not a domain name, or names a domain
    that is neither desired nor stored (exit 1). Every such value is named at once."""


class TargetingChanged(MailctlError):
    """``apply PLAN --domain/--exclude`` that is not the plan's recorded targeting."""


def _normalised(flag: str, values: Iterable[str]) -> tuple[list[str], list[str]]:
    found: list[str] = []
    problems: list[str] = []
    for raw in values:
        try:
            found.append(names.normalise_domain(raw))
        except names.NameProblem as problem:
            hint = f" ({problem.hint})" if problem.hint else ""
            problems.append(f"{flag} {raw!r}: {problem.message}{hint}")
    return found, problems


def _unknown(flag: str, name: str, known: Collection[str]) -> str:
    shown = names.to_unicode(name)
    spelled = name if shown == name else f"{name} ({shown})"
    # Domain names share their suffixes, so only a near spelling is suggested.
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
    hint = f"did you mean {close[0]}?" if close else "mailctl show lists the stored domains"
    return f"{flag} {spelled}: no such domain in the desired state or the store; {hint}"


def _refused(problems: list[str]) -> TargetingError:
    return TargetingError("; ".join(problems) + "; nothing was planned")


def normalised(selection: Selection) -> Chosen:
    """The selection's names, normalised and sorted; :class:`TargetingError` naming
    every name that is not a domain name."""
    domains, bad = _normalised("--domain", selection.domains)
    exclude, worse = _normalised("--exclude", selection.exclude)
    if bad or worse:
        raise _refused([*bad, *worse])
    return tuple(sorted(set(domains))), tuple(sorted(set(exclude)))


def chosen(selection: Selection, desired: Desired, stored: StoredState) -> Chosen | None:
    """The names ``selection`` targets and excludes (None: nothing selected, so all is
    planned); :class:`TargetingError` for a name that is not a domain name, or that
    is neither desired nor stored (with a did-you-mean)."""
    if not selection:
        return None
    domains, exclude = normalised(selection)
    known = desired.domains.keys() | stored.domains.keys()
    unknown = [
        _unknown(flag, name, known)
        for flag, given in (("--domain", domains), ("--exclude", exclude))
        for name in given
        if name not in known
    ]
    if unknown:
        raise _refused(unknown)
    return domains, exclude


def narrow(
    names_chosen: Chosen | None, desired: Desired, stored: StoredState
) -> tuple[Desired, Targeting | None]:
    """The target to plan (``desired`` itself when nothing is chosen) and the
    targeting to record (:func:`reconciler.plan.targeting.narrowed`)."""
    if names_chosen is None:
        return desired, None
    return narrowed(desired, stored, *names_chosen)


def refuse_if_changed(recorded: Decisions, selection: Selection) -> None:
    """Raise :class:`TargetingChanged` when an apply of a saved plan is given a
    ``--domain``/``--exclude`` other than the plan's own (none given: the plan's)."""
    if not selection:
        return
    domains, exclude = normalised(selection)
    targeting = recorded.targeting
    mine = (targeting.domains, targeting.exclude) if targeting else ((), ())
    if (domains, exclude) != mine:
        raise TargetingChanged(
            f"the saved plan was made for {_described(*mine)}, not {_described(domains, exclude)}: "
            "a saved plan applies exactly the changes it planned; make the plan again with "
            "these --domain/--exclude (mailctl plan … --out) and apply that plan"
        )


def _described(domains: tuple[str, ...], exclude: tuple[str, ...]) -> str:
    parts = [f"--domain {name}" for name in domains] + [f"--exclude {name}" for name in exclude]
    return " ".join(parts) if parts else "every domain"


def outside(targeting: Targeting | None, changed: Iterable[str], ranges_changed: bool) -> list[str]:
    """What a recomputed apply would change outside ``targeting``: the domains it does
    not select, and the connection ranges when it keeps them (empty: nothing)."""
    if targeting is None:
        return []
    found = sorted(name for name in set(changed) if not targeting.selects(name))
    if ranges_changed and targeting.keeps_ranges:
        found.append("the connection ranges")
    return found

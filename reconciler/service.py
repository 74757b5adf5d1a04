"""The use cases behind the commands. Each returns data; the CLI decides how to show it.

This is the edge where the pure core (load, diff, gates) meets the store. Nothing
here prints or exits.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from reconciler import __version__

# Re-exported: apply --allowlist-dir writes the stored allowlist after an apply.
from reconciler.app.allowlist import stored_allowlist as stored_allowlist
from reconciler.app.feeds import feeds_read
from reconciler.checks import live
from reconciler.checks.live import CheckOptions, Progress
from reconciler.desired.credential_env import DEFAULT as DEFAULT_CREDENTIALS
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.loader import Loaded, load
from reconciler.desired.names import NameProblem, normalise_domain
from reconciler.desired.state import StoredState, state_checksum
from reconciler.errors import Blocked, InputError, Location, MailctlError
from reconciler.plan import gates, signing
from reconciler.plan.builder import build_plan, with_checks
from reconciler.plan.checking import changed_domains, skipped, targets_of
from reconciler.plan.document import (
    Checks,
    GateVerdict,
    PlanDocument,
    Source,
    Summary,
)
from reconciler.plan.recompute import differences, recompute, target_refusals
from reconciler.plan.signing import PlanKey, SignatureMismatch, Trust
from reconciler.store.base import ApplyRequest, HistoryRecord, Store

if TYPE_CHECKING:
    from reconciler.allowlist.fetch import FetchOptions


class GateBlocked(Blocked):
    """Apply refused by one or more gates (exit code 4)."""

    def __init__(self, verdicts: Collection[GateVerdict]) -> None:
        self.verdicts = tuple(verdicts)
        lines = []
        for verdict in self.verdicts:
            lift = f"; to apply anyway: {verdict.override}" if verdict.override else ""
            lines.append(f"blocked by gate {verdict.gate}: {verdict.message}{lift}")
        super().__init__("\n".join(lines))


def check(
    path: Path,
    only: Collection[str],
    options: CheckOptions,
    progress: Progress | None = None,
    credentials: CredentialPolicy = DEFAULT_CREDENTIALS,
) -> tuple[Checks, Loaded]:
    """Live-check the endpoints of the domains at ``path`` (all, or those in ``only``);
    ``credentials``: the variables a domain may name for its login."""
    loaded = load(path, credentials)
    try:
        wanted = {normalise_domain(name) for name in only}
    except NameProblem as problem:
        raise InputError.single(Location("--domain"), problem.message, problem.hint) from None
    unknown = sorted(wanted - set(loaded.desired.domains))
    if unknown:
        raise InputError.single(
            Location(str(path)),
            f"no such domain in the desired state: {', '.join(unknown)}",
            "pass domain names as they appear under 'domains:'",
        )
    domains = [d for name, d in loaded.desired.domains.items() if not wanted or name in wanted]
    return live.check_domains(domains, options, progress), loaded


def plan(
    path: Path,
    store: Store,
    lifted: Collection[str] = (),
    checks: CheckOptions | None = None,
    progress: Progress | None = None,
    fetch: FetchOptions | None = None,
    credentials: CredentialPolicy = DEFAULT_CREDENTIALS,
    key: PlanKey | None = None,
) -> tuple[PlanDocument, Loaded]:
    """Read the feeds of the desired state at ``path``, diff it against the store, then
    live-check every endpoint the plan would create or change (``checks=None``:
    skipped, and recorded so). ``credentials``: the variables a domain may name for
    its login. Signed with ``key`` when given."""
    loaded = load(path, credentials)
    desired, feeds = feeds_read(loaded.desired, fetch)
    stored = store.read()
    document = build_plan(
        target=desired,
        stored=stored,
        source=Source(kind="desired", path=str(path), files=loaded.files, checksum="", feeds=feeds),
        mailctl_version=__version__,
        last_applied=store.last_applied() if stored.lineage else None,
        inbox_counts=store.inbox_counts() if stored.lineage else {},
        places=loaded.places,
        lifted=lifted,
        store_exists=stored.lineage is not None,
    )
    return _checked(document, lifted, checks, progress, key), loaded


def _checked(
    document: PlanDocument,
    lifted: Collection[str],
    options: CheckOptions | None,
    progress: Progress | None,
    key: PlanKey | None,
) -> PlanDocument:
    if options is None:
        evidence = skipped("--no-checks")
    else:
        evidence = _check_changes(document, options, progress)
    checked = with_checks(document, evidence, lifted)
    return signing.sign(checked, key) if key is not None else checked


def rollback(
    store: Store,
    serial: int,
    lifted: Collection[str] = (),
    checks: CheckOptions | None = None,
    progress: Progress | None = None,
    key: PlanKey | None = None,
) -> PlanDocument:
    """A plan that restores the state recorded at ``serial``, checked (and signed) like
    any plan."""
    target = store.revision(serial)
    stored = store.read()
    document = build_plan(
        target=target.as_desired(),
        stored=stored,
        source=Source(kind="rollback", rollback_to=serial, checksum=""),
        mailctl_version=__version__,
        last_applied=store.last_applied(),
        inbox_counts=store.inbox_counts(),
        lifted=lifted,
    )
    return _checked(document, lifted, checks, progress, key)


def read_plan(path: Path, key: PlanKey | None = None) -> PlanDocument:
    """A saved plan, refused if it is not one, is from a newer mailctl or was edited:
    its checksum does not match, or (with ``key``) it is signed and ``key`` does not
    verify the signature."""
    where = Location(str(path))
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError.single(where, f"cannot read plan: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError.single(
            Location(str(path), exc.lineno, exc.colno),
            f"not a plan: invalid JSON ({exc.msg})",
            "pass the file written by mailctl plan --out",
        ) from None
    version = data.get("format_version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > 1:
        raise InputError.single(
            where,
            f"plan format {version} is newer than this mailctl understands",
            "apply it with the mailctl version that made it",
        )
    try:
        document = PlanDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        raise InputError.single(
            where,
            f"not a valid mailctl plan: {place}: {first['msg']}",
            "pass the file written by mailctl plan --out",
        ) from None
    if document.checksum != document.compute_checksum():
        raise InputError.single(
            where,
            "plan checksum does not match its content: the plan was changed after it was made",
            "make a new plan with mailctl plan --out; never edit a saved plan",
        )
    try:
        signing.verify(document, key)
    except SignatureMismatch as exc:
        raise InputError.single(where, f"plan refused: {exc}") from None
    return document


@dataclass(frozen=True)
class Applied:
    serial: int | None  # None: nothing to apply
    verdicts: tuple[GateVerdict, ...]
    summary: Summary  # of the changes applied, as recomputed against the store


_UNTRUSTED = {
    Trust.NO_KEY: f"{signing.PLAN_KEY_ENV} is not set, so the plan's signature cannot be verified",
    Trust.UNSIGNED: f"the plan is not signed (it was made without {signing.PLAN_KEY_ENV})",
}


@dataclass(frozen=True)
class Recheck:
    """The evidence apply judges the checks gate on, when not the plan's own."""

    checks: Checks | None  # fresh results; None: not run again
    reason: str  # why the plan's own evidence is not used ("": it is)


def recheck(
    document: PlanDocument,
    key: PlanKey | None,
    options: CheckOptions | None,
    max_age: float,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Recheck:
    """Check the changed endpoints again unless the plan's evidence is both authentic
    (signed with ``key``) and at most ``max_age`` seconds old. Not when the plan was
    made with --no-checks (its gate asks for --allow-unchecked), nor when ``options``
    is None (--no-checks now: the reason is kept, and :func:`apply` refuses to trust
    the plan's evidence anyway). Raises ``SignatureMismatch`` for a bad signature."""
    trust = signing.verify(document, key)
    if document.checks.status == "skipped" or not changed_domains(document):
        return Recheck(None, "")
    reason = _UNTRUSTED.get(trust, "")
    checked_at = document.checks.checked_at
    if not reason and checked_at is not None:
        age = ((now or datetime.now(UTC)) - datetime.fromisoformat(checked_at)).total_seconds()
        if age > max_age:
            reason = f"the plan's live checks are {age:.0f}s old (--max-check-age {max_age:g})"
    if not reason or options is None:
        return Recheck(None, reason)
    return Recheck(_check_changes(document, options, progress), reason)


def _check_changes(
    document: PlanDocument, options: CheckOptions, progress: Progress | None
) -> Checks:
    """Live-check every endpoint of the domains ``document`` creates or changes."""
    return live.run(targets_of(changed_domains(document)), options, progress)


def _evidence(document: PlanDocument, trust: Trust, fresh: Checks | None) -> Checks:
    """What the checks gate is judged on: ``fresh`` results, else the plan's own when
    they are authentic or say the checks were skipped (which can only block)."""
    if fresh is not None:
        return fresh
    if trust is Trust.SIGNED or document.checks.status == "skipped":
        return document.checks
    return skipped(f"the plan's own results are not trusted: {_UNTRUSTED[trust]}")


def apply(
    document: PlanDocument,
    store: Store,
    *,
    actor: str,
    commit: str | None,
    lifted: Collection[str] = (),
    lock_timeout: float = 5.0,
    fresh_checks: Checks | None = None,
    key: PlanKey | None = None,
) -> Applied:
    """Apply ``document``'s target, deciding nothing from what the plan says about it.

    Under the lock, the target is diffed against the store again (``recompute``): a
    store that moved on, or changes unlike the plan's, refuse it as stale. Every gate
    is judged on that recomputation, with live inbox counts, and with ``fresh_checks``
    or else the plan's own evidence only when its signature verifies with ``key``
    (raises ``SignatureMismatch`` when a signature does not). One transaction."""
    trust = signing.verify(document, key)
    refusals = target_refusals(document)
    if refusals:
        raise MailctlError(
            "plan refused: " + "; ".join(refusals) + "; nothing was applied. Run mailctl plan "
            "again from a domains file"
        )
    evidence = _evidence(document, trust, fresh_checks)
    with store.lock(actor, lock_timeout):
        current = store.read()
        counts = store.inbox_counts()
        trusted = recompute(document, current, counts)
        stale = gates.stale(
            document,
            current.lineage,
            current.serial,
            state_checksum(current),
            differences(document, trusted),
        )
        verdicts = (
            stale,
            *gates.evaluate(trusted, lifted, gates.GateFacts(inbox_counts=counts, checks=evidence)),
        )
        refused = gates.blocked(verdicts)
        if refused:
            raise GateBlocked(refused)
        summary = trusted.summary
        if not trusted.has_changes():
            return Applied(serial=None, verdicts=verdicts, summary=summary)
        changes = trusted.changes
        request = ApplyRequest(
            # The plan's own reference: the store checks it once more as it writes.
            expected_lineage=document.store.lineage,
            expected_serial=document.store.serial,
            expected_checksum=document.store.checksum,
            creates=[c.after for c in changes if c.action == "create" and c.after],
            updates=[c.after for c in changes if c.action == "update" and c.after],
            deletes=[c.domain for c in changes if c.action == "delete"],
            connection_ranges=trusted.target.connection_ranges,
            target=StoredState(
                connection_ranges=trusted.target.connection_ranges,
                domains={d.name: d for d in trusted.target.domains},
            ),
            record=HistoryRecord(
                actor=actor,
                commit=commit,
                plan_checksum=document.checksum,
                kind="rollback" if document.source.kind == "rollback" else "apply",
                changes=[
                    {
                        "action": c.action,
                        "domain": c.domain,
                        "fields": [f.field for f in c.fields],
                    }
                    for c in changes
                ],
                summary={
                    "create": summary.create,
                    "update": summary.update,
                    "delete": summary.delete,
                    "ranges_added": summary.ranges_added,
                    "ranges_removed": summary.ranges_removed,
                },
            ),
        )
        return Applied(serial=store.apply(request), verdicts=verdicts, summary=summary)

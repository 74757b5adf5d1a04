"""The versioned plan document: the one value every renderer and ``apply`` read.

A plan is a value, saved as JSON (``schemas/plan.schema.json``). A saved plan is data
that anyone with write access to the file could have edited and sealed again, so
``apply`` trusts only what it can check:

* ``target`` (its domains and connection ranges) is what apply writes, and all it
  takes from the plan as intent. Apply diffs it against the store, read under the
  store's lock, with the same pure diff as ``mailctl plan`` (``plan.recompute``).
* ``store`` (lineage, serial, content checksum), ``changes`` (action, domain, and
  their ``before``, ``after`` and ``fields``) and ``ranges`` must equal what that
  recomputation gives; any difference refuses the plan as stale.
* ``decisions`` (gates lifted, ``--resolve`` pins, private targets, the CA file's path
  and SHA-256, the ``--domain``/``--exclude`` targeting) are intent, like ``target``:
  apply lifts exactly those gates, checks again with exactly those settings, changes
  no domain outside the targeting, and refuses a flag of its own that is not among
  them (``plan.decisions``, ``plan.targeting``).
* ``checks`` is live-check evidence. Apply uses it only when ``signature`` verifies
  with the key shared by the plan and apply jobs (``plan.signing``); otherwise it
  checks the changed endpoints again first.
* ``checksum`` (unkeyed; it covers every other field, the signature included) makes
  any edit of the file an error, and ``signature`` makes a re-sealed edit one when a
  key is set.

Every other field is *explanatory*, for people: ``summary``, each change's
``classification`` and ``source``, ``gates`` (the verdicts at plan time),
``allowlist``, ``drift``, ``source`` (its ``kind`` also labels the history entry),
``mailctl_version`` and ``created_at``. Apply never decides from them: its gates are
judged on the recomputed changes, classification and summary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.desired.canonical_json import Array, Object, chunks
from reconciler.desired.model import Domain
from reconciler.desired.shared_fields import Interned, Shared
from reconciler.plan.decisions import Decisions
from reconciler.plan.evidence import CheckResult

PLAN_FORMAT_VERSION: Literal[2] = 2
"""2: plans record the ``decisions`` they were made with. A plan of format 1 has none,
and is refused rather than read as having none (see ``reconciler.app.planfile``)."""

Action = Literal["create", "update", "delete"]
ACTION_ORDER: dict[str, int] = {"delete": 0, "update": 1, "create": 2}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldChange(_Frozen, Shared):
    field: str = Field(description="Dotted field name, e.g. imap.port.")
    before: Any = None
    after: Any = None


class Classification(_Frozen, Interned):
    """Explanatory: why a reviewer should look twice."""

    downgrades: tuple[str, ...] = Field(
        default=(), description="Security downgrades, e.g. 'imap security ssl -> starttls'."
    )
    static_ip_toggle: Literal["on", "off"] | None = None
    inboxes_affected: int = Field(default=0, description="Connected inboxes of the domain.")
    deletion: bool = False


class SourceLocation(_Frozen, Shared):
    file: str
    line: int
    column: int


class Change(_Frozen, Shared):
    action: Action
    domain: str
    before: Domain | None = None
    after: Domain | None = None
    fields: tuple[FieldChange, ...] = ()
    classification: Classification = Classification()
    source: SourceLocation | None = Field(
        default=None, description="Explanatory: where the domain is written in the YAML."
    )


class RangeDelta(_Frozen):
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


class AllowlistDelta(_Frozen):
    """Explanatory: whose allowlist files an apply (with ``--allowlist-dir``) writes anew.

    A domain's files change when the collapsed connection ranges change (all static-IP
    domains at once) or when its own mail hosts or ports change.
    """

    added: tuple[str, ...] = Field(default=(), description="Domains that start using static IPs.")
    changed: tuple[str, ...] = Field(default=(), description="Domains whose rules change.")
    removed: tuple[str, ...] = Field(
        default=(), description="Domains whose files are removed (static IPs off, or deleted)."
    )
    sources_changed: bool = Field(
        default=False, description="The collapsed connection ranges change."
    )

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


class FeedRead(_Frozen):
    """Explanatory: a published feed as the plan read it."""

    format: str
    source: str = Field(description="The file path or https:// URL.")
    sha256: str = Field(description="SHA-256 of the bytes read.")
    ranges: int = Field(description="Ranges the feed contributed after its filters.")
    filters: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class DriftItem(_Frozen, Shared):
    """A difference between the store and what the last apply wrote: someone changed
    the store outside mailctl. Explanatory; the plan's changes already undo it."""

    domain: str
    kind: Literal["added", "changed", "removed"]
    fields: tuple[FieldChange, ...] = ()


class GateVerdict(_Frozen):
    gate: str
    passed: bool
    message: str
    override: str | None = Field(default=None, description="The flag that lifts this gate.")
    overridden: bool = Field(default=False, description="Passed only because of its override.")
    judged: bool = Field(
        default=True, description="False: too little to judge (passed, but not on its measure)."
    )


class StoreRef(_Frozen):
    lineage: str | None
    serial: int
    checksum: str = Field(description="Content checksum of the stored state planned against.")
    exists: bool = True


class Source(_Frozen):
    kind: Literal["desired", "rollback"]
    path: str | None = None
    files: tuple[str, ...] = ()
    checksum: str = Field(description="Content checksum of the target state.")
    rollback_to: int | None = None
    feeds: tuple[FeedRead, ...] = ()


class TargetState(_Frozen):
    connection_ranges: tuple[str, ...] = ()
    domains: tuple[Domain, ...] = ()


class Summary(_Frozen):
    create: int = 0
    update: int = 0
    delete: int = 0
    unchanged: int = 0
    stored: int = 0
    drifted: int = 0
    ranges_added: int = 0
    ranges_removed: int = 0
    inboxes_affected: int = 0

    @property
    def changes(self) -> int:
        return self.create + self.update + self.delete + self.ranges_added + self.ranges_removed


class CheckedEndpoint(_Frozen):
    """One endpoint's live check and the domains whose settings it proves."""

    domains: tuple[str, ...]
    result: CheckResult


class Checks(_Frozen):
    """Live connection checks of every endpoint the plan would create or change.

    ``not_run``: nothing to check (no change needs one) or checks not attempted;
    ``skipped``: the plan was made with --no-checks (``detail`` says so).
    """

    status: Literal["not_run", "passed", "failed", "skipped"] = "not_run"
    detail: str = ""
    checked_at: str | None = Field(default=None, description="ISO 8601, UTC.")
    endpoints: tuple[CheckedEndpoint, ...] = ()

    def failed(self) -> list[CheckedEndpoint]:
        return [e for e in self.endpoints if not e.result.passed]


class PlanSignature(_Frozen):
    """An HMAC-SHA256 of the plan (all of it but ``checksum`` and ``signature``) with the
    key shared by the plan and apply jobs. The key itself is never stored."""

    algorithm: Literal["hmac-sha256"] = "hmac-sha256"
    key_id: str = Field(
        pattern="^[0-9a-f]{16}$",
        description="Tells keys apart without revealing them (a one-way value of the key).",
    )
    mac: str = Field(pattern="^[0-9a-f]{64}$", description="The HMAC, in hexadecimal.")


class PlanDocument(_Frozen):
    """A saved plan. See the module docstring for what apply reads."""

    model_config = ConfigDict(title="mailctl plan")

    format_version: Literal[2] = PLAN_FORMAT_VERSION
    mailctl_version: str
    created_at: str = Field(description="ISO 8601, UTC.")
    store: StoreRef
    source: Source
    target: TargetState
    changes: tuple[Change, ...] = ()
    ranges: RangeDelta = RangeDelta()
    allowlist: AllowlistDelta = AllowlistDelta()
    drift: tuple[DriftItem, ...] = ()
    summary: Summary = Summary()
    gates: tuple[GateVerdict, ...] = ()
    checks: Checks = Checks()
    decisions: Decisions = Field(
        default_factory=Decisions, description="The decisions apply honours, and only those."
    )
    signature: PlanSignature | None = Field(
        default=None, description="Present when the plan was made with MAILCTL_PLAN_KEY set."
    )
    checksum: str = ""

    def has_changes(self) -> bool:
        return self.summary.changes > 0

    def compute_checksum(self) -> str:
        # An unsigned plan is hashed without the key, as before signatures existed, so
        # that plans saved by earlier versions keep their checksum.
        left_out = {"checksum"} if self.signature is not None else {"checksum", "signature"}
        hasher = hashlib.sha256()
        for piece in self.content(left_out):
            hasher.update(piece)
        return "sha256:" + hasher.hexdigest()

    def content(self, left_out: set[str]) -> Iterator[bytes]:
        """The plan but ``left_out``, canonically encoded, in pieces: what its checksum
        and its signature cover. No decisions reads as an absent ``decisions``, so plans
        saved before they were recorded keep their checksum and signature; any decision
        changes the bytes. Likewise no targeting reads as an absent ``targeting``. The
        target's domains, the changes and the drift are encoded one at a time, so a plan
        of 100,000 domains is never held as one JSON tree."""
        excluded: dict[str, Any] = dict.fromkeys(left_out, True)
        if not self.decisions:
            excluded["decisions"] = True
        elif self.decisions.targeting is None:
            excluded["decisions"] = {"targeting": True}
        whole = self.model_dump(
            mode="json", exclude={**excluded, "target": True, "changes": True, "drift": True}
        )
        target = self.target.model_dump(mode="json", exclude={"domains"})
        target["domains"] = Array(d.model_dump(mode="json") for d in self.target.domains)
        whole["target"] = Object(sorted(target.items()))
        whole["changes"] = Array(c.model_dump(mode="json") for c in self.changes)
        whole["drift"] = Array(d.model_dump(mode="json") for d in self.drift)
        return chunks(Object(sorted(whole.items())))

    def sealed(self) -> PlanDocument:
        return self.model_copy(update={"checksum": self.compute_checksum()})

    def to_json(self) -> str:
        """The plan as saved; a plan without targeting is written without the key, so
        that it reads as plans saved before targeting existed."""
        untargeted = self.decisions.targeting is None
        excluded = {"decisions": {"targeting"}} if untargeted else None
        return self.model_dump_json(indent=2, exclude=excluded) + "\n"


def plan_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://mailctl.dev/schemas/plan.schema.json",
        **PlanDocument.model_json_schema(),
    }

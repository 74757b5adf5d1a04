"""The JSON documents of ``check``, ``show`` and ``history`` for tools, and their
published schemas.

Every document a command prints with ``--format json`` has a top-level
``format_version`` (raised only when a field changes meaning or goes away) and a
``summary`` object, present even when there is nothing to count. A command that fails
prints the diagnostics document instead (:func:`reconciler.render.diagnostics.as_json`,
modelled here as :class:`Failure`), so each schema is "the document, or the failure".
Absent values are JSON ``null``, never 0 or "".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from reconciler.desired.state import StoredState, flatten
from reconciler.plan.document import Checks
from reconciler.render.diagnostics import DIAGNOSTICS_FORMAT_VERSION

SCHEMA_BASE = "https://mailctl.dev/schemas/"
CHECK_FORMAT_VERSION: Literal[1] = 1
SHOW_FORMAT_VERSION: Literal[1] = 1
HISTORY_FORMAT_VERSION: Literal[1] = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DiagnosticItem(_Frozen):
    severity: Literal["error", "warning"]
    file: str | None = Field(description="null: the problem is in no file (an option, the store).")
    line: int | None = Field(ge=1, description="1-based; null: not known.")
    column: int | None = Field(ge=1, description="1-based; null: not known.")
    message: str
    hint: str | None = Field(description="What to do; null: no hint.")


class FailureSummary(_Frozen):
    errors: int = Field(ge=0)
    warnings: int = Field(ge=0)


class Failure(_Frozen):
    """What any ``--format json`` command prints on standard output when it fails (its
    exit code is unchanged): the diagnostics, located where they can be."""

    format_version: Literal[1] = DIAGNOSTICS_FORMAT_VERSION
    ok: Literal[False] = False
    path: str | None = Field(description="The file or folder the command read; null: none.")
    summary: FailureSummary
    diagnostics: tuple[DiagnosticItem, ...]


class CheckSummary(_Frozen):
    endpoints: int = Field(ge=0)
    passed: int = Field(ge=0)
    failed: int = Field(ge=0)


class CheckDocument(Checks):
    """``mailctl check --format json``: the evidence of every endpoint, as a plan holds it."""

    format_version: Literal[1] = CHECK_FORMAT_VERSION
    summary: CheckSummary


def check_document(checks: Checks) -> CheckDocument:
    failed = len(checks.failed())
    total = len(checks.endpoints)
    summary = CheckSummary(endpoints=total, passed=total - failed, failed=failed)
    return CheckDocument.model_validate({**checks.model_dump(), "summary": summary})


class StoredDomain(_Frozen):
    """One stored domain as dotted fields (as a plan's field changes name them)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    imap_host: str = Field(alias="imap.host")
    imap_port: int = Field(alias="imap.port")
    imap_security: Literal["ssl", "starttls", "none"] = Field(alias="imap.security")
    smtp_host: str = Field(alias="smtp.host")
    smtp_port: int = Field(alias="smtp.port")
    smtp_security: Literal["ssl", "starttls", "none"] = Field(alias="smtp.security")
    allow_non_secure_certificate: bool
    certificate_sha256: str | None
    use_static_ip_addresses: bool
    username_env: str | None = Field(alias="credentials.username_env")
    password_env: str | None = Field(alias="credentials.password_env")
    inboxes: int = Field(ge=0, description="Inboxes connected to the domain.")


class ShowSummary(_Frozen):
    domains: int = Field(ge=0)
    static_ip_domains: int = Field(ge=0)
    connection_ranges: int = Field(ge=0)
    inboxes: int = Field(ge=0)


class ShowDocument(_Frozen):
    """``mailctl show --format json``: the stored state and its inboxes per domain."""

    format_version: Literal[1] = SHOW_FORMAT_VERSION
    summary: ShowSummary
    lineage: str | None
    serial: int = Field(ge=0)
    connection_ranges: tuple[str, ...]
    domains: dict[str, StoredDomain]


def show_document(state: StoredState, inboxes: Mapping[str, int]) -> ShowDocument:
    domains = {
        name: StoredDomain.model_validate({**flatten(d), "inboxes": inboxes.get(name, 0)})
        for name, d in state.domains.items()
    }
    summary = ShowSummary(
        domains=len(domains),
        static_ip_domains=sum(1 for d in state.domains.values() if d.use_static_ip_addresses),
        connection_ranges=len(state.connection_ranges),
        inboxes=sum(d.inboxes for d in domains.values()),
    )
    return ShowDocument(
        summary=summary,
        lineage=state.lineage,
        serial=state.serial,
        connection_ranges=state.connection_ranges,
        domains=domains,
    )


class HistoryEntry(_Frozen):
    serial: int = Field(ge=1)
    applied_at: str = Field(description="ISO 8601, UTC.")
    actor: str
    commit: str | None
    plan_checksum: str
    kind: Literal["apply", "rollback"]
    summary: dict[str, int] = Field(description="The counts of this apply's changes.")
    changes: tuple[dict[str, Any], ...]
    restored_serial: int | None = Field(description="A rollback: the serial it restored.")


class HistorySummary(_Frozen):
    entries: int = Field(ge=0)
    rollbacks: int = Field(ge=0)
    latest_serial: int | None = Field(description="null: no entry.")


class HistoryDocument(_Frozen):
    """``mailctl history --format json``: every apply and rollback, oldest first."""

    format_version: Literal[1] = HISTORY_FORMAT_VERSION
    summary: HistorySummary
    entries: tuple[HistoryEntry, ...]


def history_document(entries: Iterable[Mapping[str, Any]]) -> HistoryDocument:
    """``entries``: the store's history records as plain mappings, oldest first."""
    items = tuple(HistoryEntry.model_validate(dict(e)) for e in entries)
    summary = HistorySummary(
        entries=len(items),
        rollbacks=sum(1 for e in items if e.kind == "rollback"),
        latest_serial=items[-1].serial if items else None,
    )
    return HistoryDocument(summary=summary, entries=items)


def as_json(document: BaseModel) -> str:
    return document.model_dump_json(indent=2, by_alias=True)


OUTPUTS: dict[str, type[BaseModel]] = {
    "check": CheckDocument,
    "show": ShowDocument,
    "history": HistoryDocument,
}


def output_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of what ``mailctl NAME --format json`` prints: its document, or
    the failure document."""
    either: Any = OUTPUTS[name] | Failure
    schema = TypeAdapter(either).json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{name}.schema.json",
        "title": f"mailctl {name} --format json",
        **schema,
    }

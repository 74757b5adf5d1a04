"""The words every plan renderer shares: text, Markdown, GitHub annotations and the CI
report describe a plan, a change, a gate and the checks in the same phrases, defined
here once. Pure functions of the plan document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.desired.model import Domain, Endpoint
from reconciler.plan.decisions import FLAGS, Decisions
from reconciler.plan.document import (
    AllowlistDelta,
    Change,
    Checks,
    DriftItem,
    FeedRead,
    FieldChange,
    GateVerdict,
    PlanDocument,
    SourceLocation,
)
from reconciler.plan.targeting import Targeting
from reconciler.render import plan_checks

if TYPE_CHECKING:
    from reconciler.plan.evidence import CheckTarget

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}
DECISIONS = "Decisions (a saved plan is applied with exactly these):"
PINS_SHOWN = 20  # --resolve pins named; the JSON plan has every one
STORE_MATCHES = "The store matches the desired state."
NOT_PLANNED_SHOWN = 20  # domains named as not planned; the JSON plan has every one


@dataclass(frozen=True, slots=True)
class Note:
    """One thing a reviewer should know about a change; ``warning`` ones need a second look."""

    text: str
    warning: bool = False


def plural(count: int, singular: str, plural_form: str) -> str:
    return f"{count} {singular if count == 1 else plural_form}"


def short_pin(pin: str) -> str:
    """``AB:CD:…:EF``: enough to recognise a certificate pin, short enough to read."""
    pairs = pin.split(":")
    return f"{pairs[0]}:{pairs[1]}:…:{pairs[-1]}" if len(pairs) > 3 else pin


def format_value(field: str, value: Any) -> str:
    """A field's value as the YAML would spell it; a pin shortened; ``None`` as ``(none)``."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if field == "certificate_sha256":
        return short_pin(str(value))
    return str(value)


def field_change(change: FieldChange, separator: str = ": ") -> str:
    """``imap.port: 993 -> 995`` (or with another separator after the field name)."""
    before = format_value(change.field, change.before)
    after = format_value(change.field, change.after)
    return f"{change.field}{separator}{before} -> {after}"


def endpoint(value: Endpoint) -> str:
    """``host:port security``; an IPv6 literal is bracketed so its port stays readable."""
    return f"{plan_checks.host_port(value.host, value.port)} {value.security}"


def settings(domain: Domain) -> list[tuple[str, str]]:
    """What a domain holds, as (YAML key, value): both endpoints, the flags that are on,
    the pin shortened, and credential variable *names* (a plan never holds secrets)."""
    rows = [("imap", endpoint(domain.imap)), ("smtp", endpoint(domain.smtp))]
    if domain.allow_non_secure_certificate:
        rows.append(("allow_non_secure_certificate", "true"))
    if domain.certificate_sha256:
        rows.append(("certificate_sha256", short_pin(domain.certificate_sha256)))
    if domain.use_static_ip_addresses:
        rows.append(("use_static_ip_addresses", "true"))
    if domain.credentials:
        creds = domain.credentials
        rows.append(
            ("credentials", f"username_env {creds.username_env}, password_env {creds.password_env}")
        )
    return rows


def notes(change: Change) -> list[Note]:
    """The change's classification in words: downgrades, static-IP toggle, inboxes."""
    found = [
        Note(f"security downgrade: {d}", warning=True) for d in change.classification.downgrades
    ]
    if change.classification.static_ip_toggle:
        found.append(Note(f"static IP addresses turned {change.classification.static_ip_toggle}"))
    inboxes = change.classification.inboxes_affected
    if inboxes and change.action == "delete":
        lose = "connected inbox loses its" if inboxes == 1 else "connected inboxes lose their"
        found.append(Note(f"{inboxes} {lose} settings", warning=True))
    elif inboxes:
        inherit = "inbox inherits" if inboxes == 1 else "inboxes inherit"
        found.append(Note(f"{inboxes} {inherit} this change"))
    return found


def place(source: SourceLocation) -> str:
    """``file:line:column``, or just ``file`` when the line is unknown (0)."""
    return f"{source.file}:{source.line}:{source.column}" if source.line else source.file


def origin(plan: PlanDocument) -> str:
    """Where the plan came from and which store revision it was made against."""
    store = f"store serial {plan.store.serial}" if plan.store.exists else "a new store"
    if plan.source.kind == "rollback":
        return f"Rollback to serial {plan.source.rollback_to}, planned against {store}."
    path = plan.source.path or ", ".join(plan.source.files) or "the desired state"
    return f"Planned from {path} against {store}."


def totals(plan: PlanDocument) -> str:
    """``1 to create, 2 to update, 0 to delete, 1 range change``."""
    s = plan.summary
    ranges = plural(s.ranges_added + s.ranges_removed, "range change", "range changes")
    text = f"{s.create} to create, {s.update} to update, {s.delete} to delete, {ranges}"
    targeting = plan.decisions.targeting
    if targeting is not None and targeting.not_planned:
        text += f", {len(targeting.not_planned)} not planned"
    return text


def store_matches(plan: PlanDocument) -> str:
    """What a plan without changes means: the store matches, or, for a targeted plan
    that left changes out, only its targeted part does."""
    targeting = plan.decisions.targeting
    if targeting is not None and (targeting.not_planned or targeting.ranges_not_planned):
        return "The targeted part of the store matches the desired state; the rest is not planned."
    return STORE_MATCHES


# Long lists (thousands of ranges on a feed's first plan) are cut here; the JSON plan
# always lists every one.


def feed_text(feed: FeedRead) -> str:
    """``aws feed https://…: 1,234 ranges (services EC2; sha256 0f1e2d3c4b5a…)``."""
    filters = "; ".join(f"{key} {', '.join(values)}" for key, values in feed.filters.items())
    detail = f"{filters}; " if filters else ""
    return (
        f"{feed.format} feed {feed.source}: {plural(feed.ranges, 'range', 'ranges')} "
        f"({detail}sha256 {feed.sha256[:12]}…)"
    )


def allowlist_totals(delta: AllowlistDelta) -> str:
    """``2 added, 5 changed, 1 removed``."""
    return f"{len(delta.added)} added, {len(delta.changed)} changed, {len(delta.removed)} removed"


def allowlist_entries(delta: AllowlistDelta) -> Iterator[tuple[str, str, str]]:
    """(symbol, domain, why) for every domain whose allowlist files change."""
    why = "connection ranges change" if delta.sources_changed else "mail hosts or ports change"
    yield from (("+", name, "starts using static IPs") for name in delta.added)
    yield from (("~", name, why) for name in delta.changed)
    yield from (("-", name, "files removed") for name in delta.removed)


def drift_text(item: DriftItem) -> str:
    """``changed outside mailctl: smtp.port 587 -> 25`` / ``added outside mailctl``."""
    text = f"{item.kind} outside mailctl"
    if item.fields:
        text += ": " + ", ".join(field_change(f, " ") for f in item.fields)
    return text


def blocked_text(verdict: GateVerdict) -> str:
    """``blocked by <gate>: <message>; to apply anyway: <flag>`` (no flag: no override)."""
    text = f"blocked by {verdict.gate}: {verdict.message}"
    return f"{text}; to apply anyway: {verdict.override}" if verdict.override else text


def shows_gates(plan: PlanDocument) -> bool:
    """Gates are worth showing when there is something to change or something blocked;
    with nothing to change every gate passes, and listing them would be noise."""
    return bool(plan.gates) and (plan.has_changes() or any(not v.passed for v in plan.gates))


def checks_summary(checks: Checks) -> str | None:
    """``12 endpoints, 11 passed, 1 failed`` or ``skipped (--no-checks)``, with the
    checks' detail in brackets; ``None`` when no check was run and none is recorded."""
    if checks.endpoints:
        verdicts = Counter[str](e.result.verdict for e in checks.endpoints)
        shown = ("passed", "failed", "refused") if verdicts["refused"] else ("passed", "failed")
        counted = [f"{verdicts[v]} {v}" for v in shown]
        text = ", ".join([plural(len(checks.endpoints), "endpoint", "endpoints"), *counted])
    elif checks.status == "not_run":
        return None
    else:
        text = checks.status
    return f"{text} ({checks.detail})" if checks.detail else text


def check_failed(target: CheckTarget) -> str:
    """``live check failed: smtp mail.example.net:587``, said under each affected change."""
    return f"live check failed: {plan_checks.where(target)}"


def decision_lines(decisions: Decisions) -> list[str]:
    """One line per decision the plan was made with (empty: none), e.g. ``gate checks
    lifted (--allow-unchecked)``, ``--resolve imap.example.com=192.0.2.7``."""
    lines = [f"gate {gate} lifted ({FLAGS[gate]})" for gate in decisions.lifted]
    pins = [f"{host}={a}" for host, addresses in decisions.pins.items() for a in addresses]
    lines += [f"--resolve {pin}" for pin in pins[:PINS_SHOWN]]
    if len(pins) > PINS_SHOWN:
        lines.append(f"… and {len(pins) - PINS_SHOWN} more --resolve pins (see the JSON plan)")
    if decisions.allow_private_targets:
        lines.append("private targets allowed (--allow-private-targets)")
    if decisions.ca_file is not None:
        ca = decisions.ca_file
        lines.append(f"--ca-file {ca.path} (sha256 {ca.sha256})")
    if decisions.mass_change is not None:
        limits = decisions.mass_change
        lines.append(
            f"mass-change limit {limits.percent}%, judged from {limits.floor} stored domains "
            f"(--mass-change-percent {limits.percent} --mass-change-floor {limits.floor})"
        )
    if decisions.targeting is not None:
        lines += targeting_lines(decisions.targeting)
    return lines


def targeting_lines(targeting: Targeting) -> list[str]:
    """The targeting and what it left out: ``planned only: --domain a.example``,
    ``not planned: 2 domains with changes (b.example, c.example)``."""
    given = [f"--domain {name}" for name in targeting.domains]
    given += [f"--exclude {name}" for name in targeting.exclude]
    lines = [f"planned only: {' '.join(given)} (the gates judge this part only)"]
    left_out = targeting.not_planned
    if left_out:
        named = ", ".join(left_out[:NOT_PLANNED_SHOWN])
        if len(left_out) > NOT_PLANNED_SHOWN:
            named += f" … and {len(left_out) - NOT_PLANNED_SHOWN} more (see the JSON plan)"
        count = plural(len(left_out), "domain", "domains")
        lines.append(f"not planned: {count} with changes ({named})")
    if targeting.ranges_not_planned:
        lines.append("not planned: the connection range changes (kept as stored with --domain)")
    return lines

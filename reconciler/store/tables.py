"""The store's tables as SQLAlchemy Core objects: the schema at the head revision.

Queries use these. Migrations never import them: each revision in ``migrations/versions``
spells out the tables as they were at that revision, so an old revision keeps meaning
what it meant when it shipped. ``tests/store/test_contract.py`` checks that the head
revision and these tables agree.

Column types are the portable subset that SQLite and PostgreSQL treat alike: text,
integers, booleans and bytes. Times are ISO 8601 UTC text (``2026-11-26T12:00:00Z``),
so they sort as text and read back the same on both backends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)

from reconciler.desired.state import FIELDS

metadata = MetaData()

# One row (id = 1): the store's identity and write counter. No row: a fresh store.
state = Table(
    "state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("lineage", Text, nullable=False),
    Column("serial", Integer, nullable=False),
    Column("updated_at", Text, nullable=False),
    CheckConstraint("id = 1", name="state_single_row"),
)

# One column per field of reconciler.desired.state.flatten: the column is named with "_" for
# "." and keyed by the dotted field name, so ``flatten(domain)`` plus ``name`` is a row.
domains = Table(
    "domains",
    metadata,
    Column("name", Text, primary_key=True),
    Column("imap_host", Text, key="imap.host", nullable=False),
    Column("imap_port", Integer, key="imap.port", nullable=False),
    Column("imap_security", Text, key="imap.security", nullable=False),
    Column("smtp_host", Text, key="smtp.host", nullable=False),
    Column("smtp_port", Integer, key="smtp.port", nullable=False),
    Column("smtp_security", Text, key="smtp.security", nullable=False),
    Column("allow_non_secure_certificate", Boolean, nullable=False),
    Column("certificate_sha256", Text, nullable=True),
    Column("use_static_ip_addresses", Boolean, nullable=False),
    Column("credentials_username_env", Text, key="credentials.username_env", nullable=True),
    Column("credentials_password_env", Text, key="credentials.password_env", nullable=True),
)

# Ranges keep the order they were written in (``position``), so a read returns exactly
# what the last apply stored and equals that apply's history snapshot.
connection_ranges = Table(
    "connection_ranges",
    metadata,
    Column("cidr", Text, primary_key=True),
    Column("position", Integer, nullable=False),
)

# No foreign key to domains: a deleted domain's inboxes stay, so a rollback that
# restores the domain restores their settings too.
inboxes = Table(
    "inboxes",
    metadata,
    Column("address", Text, primary_key=True),
    Column("domain", Text, nullable=False, index=True),
    Column("connected_at", Text, nullable=False),
)

history = Table(
    "history",
    metadata,
    Column("serial", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("commit", Text, nullable=True),
    Column("plan_checksum", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("summary", Text, nullable=False),  # JSON object
    Column("changes", Text, nullable=False),  # JSON array
    Column("snapshot", LargeBinary, nullable=False),  # zlib(canonical JSON), see rows.py
)

# Who holds the PostgreSQL advisory lock, so that a waiter can name them. ``backend_pid``
# ties the row to the session holding the lock: a row left by a killed holder names no
# live session and is ignored. SQLite keeps this in the lock file instead.
lock_holder = Table(
    "lock_holder",
    metadata,
    Column("backend_pid", Integer, primary_key=True, autoincrement=False),
    Column("actor", Text, nullable=False),
    Column("since", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("host", Text, nullable=False),
)

DOMAIN_COLUMNS: tuple[Column[Any], ...] = tuple(domains.c[field] for field in FIELDS)
"""The domain columns in the order of ``reconciler.desired.state.FIELDS`` (a KeyError here means
flatten gained a field that needs a column and a migration)."""

# One row per endpoint of a domain per check run (an audit, or the checks of an applied
# plan). No foreign key to domains: the timeline of a deleted domain stays readable.
check_evidence = Table(
    "check_evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Text, nullable=False),
    Column("recorded_at", Text, nullable=False),
    Column("source", Text, nullable=False),  # "audit" or "plan"
    Column("domain", Text, nullable=False),
    Column("protocol", Text, nullable=False),
    Column("host", Text, nullable=False),
    Column("port", Integer, nullable=False),
    Column("verdict", Text, nullable=False),
    Column("failed_step", Text, nullable=True),
    Column("certificate_sha256", Text, nullable=True),
    Column("certificate_not_after", Text, nullable=True),
    Column("tls_version", Text, nullable=True),
    Column("capabilities", Text, nullable=False),  # JSON array
    Column("message", Text, nullable=False),
    Index("ix_check_evidence_endpoint", "domain", "protocol", "host", "port"),
)

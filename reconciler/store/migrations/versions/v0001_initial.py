"""The first schema: state, domains, connection ranges, inboxes, history, lock holder.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("lineage", sa.Text, nullable=False),
        sa.Column("serial", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.CheckConstraint("id = 1", name="state_single_row"),
    )
    op.create_table(
        "domains",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("imap_host", sa.Text, nullable=False),
        sa.Column("imap_port", sa.Integer, nullable=False),
        sa.Column("imap_security", sa.Text, nullable=False),
        sa.Column("smtp_host", sa.Text, nullable=False),
        sa.Column("smtp_port", sa.Integer, nullable=False),
        sa.Column("smtp_security", sa.Text, nullable=False),
        sa.Column("allow_non_secure_certificate", sa.Boolean, nullable=False),
        sa.Column("certificate_sha256", sa.Text, nullable=True),
        sa.Column("use_static_ip_addresses", sa.Boolean, nullable=False),
        sa.Column("credentials_username_env", sa.Text, nullable=True),
        sa.Column("credentials_password_env", sa.Text, nullable=True),
    )
    op.create_table(
        "connection_ranges",
        sa.Column("cidr", sa.Text, primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "inboxes",
        sa.Column("address", sa.Text, primary_key=True),
        sa.Column("domain", sa.Text, nullable=False),
        sa.Column("connected_at", sa.Text, nullable=False),
    )
    op.create_index("ix_inboxes_domain", "inboxes", ["domain"])
    op.create_table(
        "history",
        sa.Column("serial", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("applied_at", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("commit", sa.Text, nullable=True),
        sa.Column("plan_checksum", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("snapshot", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "lock_holder",
        sa.Column("backend_pid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("since", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("host", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("lock_holder", "history", "inboxes", "connection_ranges", "domains", "state"):
        op.drop_table(table)

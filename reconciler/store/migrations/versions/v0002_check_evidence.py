"""The evidence history: what each audit and each applied plan's checks found per endpoint.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_evidence",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("domain", sa.Text, nullable=False),
        sa.Column("protocol", sa.Text, nullable=False),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("failed_step", sa.Text, nullable=True),
        sa.Column("certificate_sha256", sa.Text, nullable=True),
        sa.Column("certificate_not_after", sa.Text, nullable=True),
        sa.Column("tls_version", sa.Text, nullable=True),
        sa.Column("capabilities", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_check_evidence_endpoint", "check_evidence", ["domain", "protocol", "host", "port"]
    )


def downgrade() -> None:
    op.drop_index("ix_check_evidence_endpoint", "check_evidence")
    op.drop_table("check_evidence")

"""Indexes for the hot queries (#12): the outbox claim reads only unsent messages (a partial
index), and open cases are found by state and VP without reading the closed ones.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_pending",
        "outbox_message",
        ["recipient", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index("ix_case_status", "cases", ["status", "vp_id"])


def downgrade() -> None:
    op.drop_index("ix_case_status", table_name="cases")
    op.drop_index("ix_outbox_pending", table_name="outbox_message")

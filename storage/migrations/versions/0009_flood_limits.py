"""Floods: the sender of each outbox message (a keyed hash), and messages held to be paced.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("sender", sa.String(length=64), nullable=True))
    op.create_index("ix_outbox_sender", "outbox_message", ["sender", "status"])
    with op.batch_alter_table("held_message") as batch:
        batch.add_column(
            sa.Column("paced", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("held_message") as batch:
        batch.drop_column("paced")
    op.drop_index("ix_outbox_sender", table_name="outbox_message")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("sender")

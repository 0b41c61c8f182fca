"""Continuity (#17): the relayed messages of an open case kept sealed for whoever takes it
over; handovers to a named colleague with a note; a case that continues a family's earlier
one; a VP's return date after /away.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _case_id() -> sa.Column:
    return sa.Column(
        "case_id", sa.BigInteger(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("away_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("continues_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "case_message",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        _case_id(),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("sealed_said", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_message_case_id", "case_message", ["case_id"])
    op.create_table(
        "handover",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        _case_id(),
        sa.Column("from_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("to_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("sealed_note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_handover_case_id", "handover", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_handover_case_id", "handover")
    op.drop_table("handover")
    op.drop_index("ix_case_message_case_id", "case_message")
    op.drop_table("case_message")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("continues_id")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("away_until")

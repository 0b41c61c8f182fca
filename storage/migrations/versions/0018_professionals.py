"""Duo with a professional (#17): people of role "partner" tied to a partner organisation,
their invitations, and their place on a case (asked, joined on the parent's yes, ended).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    for table in ("person", "invite"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("partner_id", sa.String(40), nullable=False, server_default="")
            )
    op.create_table(
        "case_professional",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id",
            sa.BigInteger(),
            sa.ForeignKey("cases.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("proposed_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(16), nullable=False, server_default=""),
    )
    op.create_index("ix_case_professional_case_id", "case_professional", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_professional_case_id", "case_professional")
    op.drop_table("case_professional")
    for table in ("invite", "person"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("partner_id")

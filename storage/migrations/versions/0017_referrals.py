"""Referral as a stage (#17): a case referred to a partner stays open; the check-ins about
it, the mediations when care stalls (their steps are sealed case notes of kind "step"), and
anonymous figures per partner and week.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _case_id() -> sa.Column:
    return sa.Column(
        "case_id", sa.BigInteger(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    with op.batch_alter_table("case_note") as batch:
        batch.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default="note"))
    op.create_table(
        "referral",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        _case_id(),
        sa.Column("partner_id", sa.String(40), nullable=False),
        _utc("referred_at", nullable=False),
        sa.Column("appointment_on", sa.Date(), nullable=True),
        _utc("asked_at"),
        _utc("answered_at"),
        sa.Column("not_yet", sa.Integer(), nullable=False, server_default="0"),
        _utc("reached_at"),
        _utc("stalled_at"),
        _utc("ended_at"),
    )
    op.create_index("ix_referral_case_id", "referral", ["case_id"])
    op.create_table(
        "mediation",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        _case_id(),
        sa.Column(
            "referral_id",
            sa.BigInteger(),
            sa.ForeignKey("referral.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(16), nullable=False),
        _utc("opened_at", nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False, server_default="0"),
        _utc("closed_at"),
    )
    op.create_index("ix_mediation_case_id", "mediation", ["case_id"])
    op.create_index("ix_mediation_open", "mediation", ["closed_at", "case_id"])
    op.create_table(
        "partner_figures",
        sa.Column("week", sa.String(10), primary_key=True),
        sa.Column("partner_id", sa.String(40), primary_key=True),
        *(
            sa.Column(name, sa.Integer(), nullable=False, server_default="0")
            for name in ("referrals", "reached", "helped", "stalled", "mediated")
        ),
    )


def downgrade() -> None:
    op.drop_table("partner_figures")
    op.drop_index("ix_mediation_open", "mediation")
    op.drop_index("ix_mediation_case_id", "mediation")
    op.drop_table("mediation")
    op.drop_index("ix_referral_case_id", "referral")
    op.drop_table("referral")
    with op.batch_alter_table("case_note") as batch:
        batch.drop_column("kind")

"""Case requests become cases (alias, status, preference, VP); offers; the case history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.drop_index("ix_case_request_parent_id", table_name="case_request")
    op.rename_table("case_request", "cases")
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("alias", sa.String(length=8), nullable=True))
        batch.add_column(
            sa.Column("gender_pref", sa.String(length=1), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("vp_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE cases SET alias = 'R' || CAST(id AS VARCHAR(7)), updated_at = created_at, "
        "status = CASE WHEN status = 'requested' THEN 'waiting' ELSE status END"
    )
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("alias", existing_type=sa.String(length=8), nullable=False)
        batch.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.create_unique_constraint("uq_cases_alias", ["alias"])
        batch.create_foreign_key("fk_cases_vp_id", "person", ["vp_id"], ["id"])
    op.create_index("ix_cases_parent_id", "cases", ["parent_id"])
    op.create_table(
        "offer",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id",
            sa.BigInteger(),
            sa.ForeignKey("cases.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_offer_case_id", "offer", ["case_id"])
    op.create_table(
        "case_event",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id",
            sa.BigInteger(),
            sa.ForeignKey("cases.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
    )
    op.create_index("ix_case_event_case_id", "case_event", ["case_id"])


def downgrade() -> None:
    op.drop_table("case_event")
    op.drop_table("offer")
    op.drop_index("ix_cases_parent_id", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("fk_cases_vp_id", type_="foreignkey")
        batch.drop_constraint("uq_cases_alias", type_="unique")
        batch.drop_column("updated_at")
        batch.drop_column("vp_id")
        batch.drop_column("gender_pref")
        batch.drop_column("alias")
    op.rename_table("cases", "case_request")
    op.create_index("ix_case_request_parent_id", "case_request", ["parent_id"])

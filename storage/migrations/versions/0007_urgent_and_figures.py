"""Breaches of the urgent path; anonymous figures kept after a purge.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False)


def _seconds(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "case_figures",
        sa.Column("week", sa.String(length=10), primary_key=True),
        sa.Column("language", sa.String(length=8), primary_key=True),
        sa.Column("topic", sa.String(length=32), primary_key=True),
        sa.Column("outcome", sa.String(length=24), primary_key=True),
        sa.Column("urgent", sa.Boolean(), primary_key=True),
        _count("cases"),
        _count("accepted"),
        _seconds("accept_seconds_total"),
        _seconds("accept_seconds_max"),
        _count("contacted"),
        _seconds("contact_seconds_total"),
        _seconds("contact_seconds_max"),
        _count("breaches"),
    )
    op.create_table(
        "satisfaction",
        sa.Column("week", sa.String(length=10), primary_key=True),
        sa.Column("language", sa.String(length=8), primary_key=True),
        sa.Column("answer", sa.String(length=16), primary_key=True),
        _count("count"),
    )


def downgrade() -> None:
    op.drop_table("satisfaction")
    op.drop_table("case_figures")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("breached_at")

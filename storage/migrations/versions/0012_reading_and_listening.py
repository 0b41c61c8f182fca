"""A parent who reads poorly (#14): listen or read, voice prompts recorded by coordinators,
a coordinator's pending recording, and anonymous drop-off counts per flow node and week.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("parent") as batch:
        batch.add_column(sa.Column("listens", sa.Boolean(), nullable=True))
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("recording", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("recording_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(
            sa.Column("idle_noted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "voice_prompt",
        sa.Column("flow", sa.String(32), primary_key=True),
        sa.Column("node", sa.String(32), primary_key=True),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("file_id", sa.String(256), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "node_figures",
        sa.Column("version", sa.String(32), primary_key=True),
        sa.Column("flow", sa.String(32), primary_key=True),
        sa.Column("node", sa.String(32), primary_key=True),
        sa.Column("week", sa.String(10), primary_key=True),
        sa.Column("entered", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("stopped", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("node_figures")
    op.drop_table("voice_prompt")
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("idle_noted")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("recording_at")
        batch.drop_column("recording")
    with op.batch_alter_table("parent") as batch:
        batch.drop_column("listens")

"""The coordinator's console (#15): one-time login links, sessions, and the audit log of
logins and console changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "console_link",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "console_session",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("session_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("browser", sa.String(80), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_console_session_person_id", "console_session", ["person_id"])
    op.create_table(
        "staff_audit",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(40), nullable=False, server_default=""),
        sa.Column("detail", sa.String(200), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staff_audit_person_id", "staff_audit", ["person_id"])
    # The console's audit page reads both halves of the audit log newest first.
    op.create_index("ix_staff_audit_at", "staff_audit", ["at"])
    op.create_index("ix_case_access_at", "case_access", ["at"])
    op.create_index("ix_case_access_person_at", "case_access", ["person_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_case_access_person_at", "case_access")
    op.drop_index("ix_case_access_at", "case_access")
    op.drop_index("ix_staff_audit_at", "staff_audit")
    op.drop_index("ix_staff_audit_person_id", "staff_audit")
    op.drop_table("staff_audit")
    op.drop_index("ix_console_session_person_id", "console_session")
    op.drop_table("console_session")
    op.drop_table("console_link")

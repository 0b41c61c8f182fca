"""The relay, duo-coaching, blocks, the audit log; case outcome and times.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = sa.DateTime(timezone=True)


def _case_id(nullable: bool = False, primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        "case_id",
        sa.BigInteger(),
        sa.ForeignKey("cases.id", ondelete="CASCADE"),
        nullable=nullable,
        primary_key=primary_key,
    )


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("accepted_at", UTC, nullable=True))
        batch.add_column(sa.Column("first_contact_at", UTC, nullable=True))
        batch.add_column(sa.Column("closed_at", UTC, nullable=True))
        batch.add_column(sa.Column("sealed_reveal", sa.Text(), nullable=True))
    op.create_table(
        "case_member",
        _case_id(primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), primary_key=True),
        sa.Column("added_at", UTC, nullable=False),
    )
    op.create_table(
        "relay",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        _case_id(),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("origin_owner", sa.String(length=64), nullable=False),
        sa.Column("origin_message_id", sa.BigInteger(), nullable=False),
        sa.Column("copy_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
    )
    op.create_index("ix_relay_case_id", "relay", ["case_id"])
    op.create_index("ix_relay_copy", "relay", ["recipient", "copy_message_id"])
    op.create_index("ix_relay_origin", "relay", ["origin_owner", "origin_message_id"])
    op.create_table(
        "held_message",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(length=64), nullable=False),
        _case_id(nullable=True),
        sa.Column("sealed_payload", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_held_message_owner", "held_message", ["owner"])
    op.create_index("ix_held_message_case_id", "held_message", ["case_id"])
    op.create_table(
        "parent_block",
        sa.Column(
            "parent_id",
            sa.BigInteger(),
            sa.ForeignKey("parent.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), primary_key=True),
        sa.Column("at", UTC, nullable=False),
    )
    op.create_table(
        "case_access",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("alias", sa.String(length=8), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("at", UTC, nullable=False),
    )
    op.create_index("ix_case_access_case_id", "case_access", ["case_id"])


def downgrade() -> None:
    op.drop_table("case_access")
    op.drop_table("parent_block")
    op.drop_table("held_message")
    op.drop_table("relay")
    op.drop_table("case_member")
    with op.batch_alter_table("cases") as batch:
        for column in ("sealed_reveal", "closed_at", "first_contact_at", "accepted_at", "outcome"):
            batch.drop_column(column)

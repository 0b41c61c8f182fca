"""The database tables. Migrations in storage/migrations must follow every change here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, String
from sqlmodel import Field, SQLModel

from storage.columns import UTCDateTime


def _utc(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class ParentRow(SQLModel, table=True):
    """A parent, known only by a keyed hash of their channel id; no name, no username."""

    __tablename__ = "parent"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    subject_hash: str = Field(max_length=64, unique=True)
    # The chat id, encrypted with a key derived from SECRET_KEY; needed to write back.
    sealed_chat: str | None = Field(default=None, sa_column=Column(String(512), nullable=True))
    language: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())


class ProcessedUpdate(SQLModel, table=True):
    """Update ids already committed, so a redelivered update changes nothing."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = Field(sa_column=_utc())


class BotFact(SQLModel, table=True):
    """Facts about the bot itself (its username from getMe), cached for offline commands."""

    __tablename__ = "bot_fact"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=512)
    updated_at: datetime = Field(sa_column=_utc())

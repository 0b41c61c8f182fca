"""Plain objects handed out by the repositories: no session, no lazy loading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Parent:
    id: int
    channel: str
    sealed_chat: str | None
    language: str | None
    created_at: datetime

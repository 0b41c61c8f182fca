"""The bot's own username, learnt from getMe and cached so deep links can be built offline."""

from __future__ import annotations

from datetime import datetime

from storage import UnitOfWork

USERNAME_KEY = "telegram.username"


async def remember_username(uow: UnitOfWork, username: str, now: datetime) -> None:
    await uow.bot_facts.put(USERNAME_KEY, username, now)


async def deep_link(uow: UnitOfWork, payload: str) -> str:
    """`https://t.me/<bot>?start=<payload>`; needs one earlier start with a token."""
    username = await uow.bot_facts.get(USERNAME_KEY)
    if username is None:
        raise LookupError("the bot's username is not known yet: start the bot once with a token")
    return f"https://t.me/{username}?start={payload}"

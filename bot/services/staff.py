"""Registering vertrouwenspersonen and coordinators with one-time invitation links."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bot.i18n import N_
from bot.services.privacy import IdentityVault
from storage import UnitOfWork
from storage.people import Profile
from storage.records import Person

INVITE_PREFIX = "inv"
VP, COORDINATOR = "vp", "coordinator"
TOPICS = ("parenting", "school", "money", "housing", "health", "safety", "other")
# The command menu of a staff member's own chat (the parents' menu is the default one).
MENUS = {
    VP: (
        ("cases", N_("Your open questions")),
        ("close", N_("Close a question with its outcome")),
        ("duo", N_("Bring in a second person")),
        ("block", N_("Block a parent who misbehaves")),
        ("name", N_("The name parents see")),
        ("away", N_("Pause new questions")),
        ("available", N_("Take new questions again")),
        ("capacity", N_("How many open questions at a time")),
        ("help", N_("What you can do here")),
    ),
    COORDINATOR: (
        ("urgent", N_("Open urgent questions and figures")),
        ("vps", N_("The vertrouwenspersonen and their load")),
        ("case", N_("A case's history")),
        ("reassign", N_("Give a case to a vertrouwenspersoon")),
        ("deactivate", N_("Take a vertrouwenspersoon off")),
        ("activate", N_("Take a vertrouwenspersoon back on")),
        ("help", N_("What you can do here")),
    ),
}


class Staff:
    def __init__(self, vault: IdentityVault) -> None:
        self._vault = vault

    async def invite(
        self, uow: UnitOfWork, profile: Profile, now: datetime, valid: timedelta
    ) -> tuple[str, datetime]:
        """A new one-time code for the deep link; only its keyed hash is stored."""
        code = INVITE_PREFIX + secrets.token_urlsafe(15)  # fits Telegram's 64-byte start payload
        expires = now + valid
        await uow.people.add_invite(self._code_hash(code), profile, expires, now)
        return code, expires

    async def register(
        self, uow: UnitOfWork, code: str, channel: str, external_id: int | str, now: datetime
    ) -> Person | None:
        """The Telegram account that opened the link becomes the invited person, once."""
        return await uow.people.use_invite(
            self._code_hash(code),
            self._vault.subject_hash(channel, external_id),
            self._vault.seal(external_id),
            now,
        )

    def _code_hash(self, code: str) -> str:
        return self._vault.subject_hash("invite", code)

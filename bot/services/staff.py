"""Registering vertrouwenspersonen and coordinators with one-time invitation links, and
the language each of them works in."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.i18n import N_, Catalogs, Translator
from bot.services.languages import LANGUAGES
from bot.services.mail import Mail
from bot.services.privacy import IdentityVault
from flows.outputs import Choice, Reply
from storage import UnitOfWork
from storage.people import Profile
from storage.records import Person

INVITE_PREFIX = "inv"
STAFF_LANGUAGE = "nl"  # until a VP or coordinator chooses their own with /language
LANGUAGE_ACTION = "staff-lang:"
VP, COORDINATOR = "vp", "coordinator"
PARTNER = "partner"  # a professional of a partner organisation, in a duo on one case
TOPICS = ("parenting", "school", "money", "housing", "health", "safety", "other")
# The command menu of a staff member's own chat (the parents' menu is the default one).
MENUS = {
    VP: (
        ("cases", N_("Your open questions")),
        ("case", N_("A question's card and its notes")),
        ("note", N_("Add a note to a question")),
        ("refer", N_("Refer a question to a partner organisation")),
        ("step", N_("Record a mediation step")),
        ("summary", N_("A summary for the professional on a question")),
        ("handover", N_("Hand a question to a colleague")),
        ("close", N_("Close a question with its outcome")),
        ("duo", N_("Bring in a second person")),
        ("block", N_("Block a parent who misbehaves")),
        ("name", N_("The name parents see")),
        ("away", N_("Pause new questions")),
        ("available", N_("Take new questions again")),
        ("capacity", N_("How many open questions at a time")),
        ("language", N_("The language you work in here")),
        ("help", N_("What you can do here")),
    ),
    PARTNER: (("help", N_("What you can do here")),),
    COORDINATOR: (
        ("urgent", N_("Open urgent questions and figures")),
        ("vps", N_("The vertrouwenspersonen and their load")),
        ("case", N_("A case's history")),
        ("reassign", N_("Give a case to a vertrouwenspersoon")),
        ("deactivate", N_("Take a vertrouwenspersoon off")),
        ("activate", N_("Take a vertrouwenspersoon back on")),
        ("record", N_("Record a spoken version of a message")),
        ("console", N_("A link to the web console")),
        ("language", N_("The language you work in here")),
        ("help", N_("What you can do here")),
    ),
}
# A VP who reviews the translations of their languages has the console too (before /language).
REVIEWER_ITEM = ("console", N_("A link to the web console"))


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


def staff_translator(catalogs: Catalogs, person: Person) -> Translator:
    """A VP's or coordinator's own language (/language); Dutch until they choose."""
    return catalogs.translator(person.language or STAFF_LANGUAGE)


class StaffLanguages:
    """/language for staff: every enabled language; the choice also translates the menu."""

    def __init__(
        self, vault: IdentityVault, catalogs: Catalogs, enabled: Callable[[], list[str]]
    ) -> None:
        self._mail = Mail(vault)
        self._catalogs = catalogs
        self._enabled = enabled

    def picker(self, person: Person) -> Reply:
        t = staff_translator(self._catalogs, person)
        current = person.language or STAFF_LANGUAGE
        rows = tuple(
            (
                Choice(
                    ("✓ " if code == current else "") + LANGUAGES[code].native_name,
                    LANGUAGE_ACTION + code,
                ),
            )
            for code in self._enabled()
        )
        text = t.gettext("Which language do you want to work in here?")
        return Reply(text, choices=rows, rtl=t.rtl)

    async def choose(
        self, uow: UnitOfWork, person: Person, action: str, now: datetime
    ) -> list[Reply]:
        """A button of the picker: from now on every staff text to them is in that language."""
        code = action.removeprefix(LANGUAGE_ACTION)
        if code not in self._enabled():
            t = staff_translator(self._catalogs, person)
            return [Reply(t.gettext("That choice is no longer available."), rtl=t.rtl)]
        await uow.people.update(person.id, language=code)
        chosen = await uow.people.get(person.id)
        assert chosen is not None
        await self.send_menu(uow, chosen, now)
        t = staff_translator(self._catalogs, chosen)
        text = t.gettext("From now on you get your messages here in {language}.")
        return [Reply(text.format(language=LANGUAGES[code].native_name), rtl=t.rtl)]

    async def send_menu(self, uow: UnitOfWork, person: Person, now: datetime) -> None:
        """The command menu of their own chat, in their language."""
        t = staff_translator(self._catalogs, person)
        items = list(MENUS[person.role])
        if person.role == VP and person.reviewer:
            items.insert(-2, REVIEWER_ITEM)
        commands = [(name, t.gettext(text)) for name, text in items]
        await self._mail.menu(uow, person.subject_hash, person.sealed_chat, commands, now)

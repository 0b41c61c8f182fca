"""The first behaviour: welcome a parent, let them pick a language, remember it."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import Catalogs, Translator
from bot.services.languages import LANGUAGES
from bot.services.privacy import IdentityVault
from flows.inputs import Command, Input, Media, Pick, Text
from flows.outputs import Choice, Reply
from storage import Parent, UnitOfWork

LANGUAGE_ACTION = "lang:"
PRESELECTED_MARK = "✓ "
DIRECTION_MARKS = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


@dataclass(frozen=True)
class Subject:
    """Who wrote, as the channel knows them; only a keyed hash of it is stored."""

    channel: str
    external_id: int | str


def normalise_label(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(DIRECTION_MARKS).casefold().strip()


class Reception:
    def __init__(
        self, vault: IdentityVault, catalogs: Catalogs, enabled: Callable[[], list[str]]
    ) -> None:
        self._vault = vault
        self._catalogs = catalogs
        self._enabled = enabled  # the coordinator's current choice, which may be reloaded

    @property
    def languages(self) -> list[str]:
        return self._enabled()

    async def handle(
        self,
        uow: UnitOfWork,
        subject: Subject,
        incoming: Input,
        now: datetime,
        language_hint: str | None = None,
    ) -> list[Reply]:
        """Answer one input of a parent; `language_hint` is the client's language, if known."""
        parent = await uow.parents.get_or_create(
            subject.channel,
            self._vault.subject_hash(subject.channel, subject.external_id),
            self._vault.seal(subject.external_id),
            now,
        )
        preferred = parent.language or language_hint or None
        match incoming:
            case Command("start") if parent.language is None:
                return [self._picker(preferred)]
            case Command("start"):
                return [self._greeting(parent.language)]
            case Command("language"):
                return [self._picker(preferred)]
            case Command("help"):
                return [self._help(preferred)]
            case Command():
                return [self._unknown_command(preferred)]
            case Pick(action) if action.startswith(LANGUAGE_ACTION):
                code = action.removeprefix(LANGUAGE_ACTION)
                return await self._choose(uow, parent, code, preferred, now)
            case Pick():
                t = self._t(preferred)
                return [
                    self._say(t, t.gettext("That button no longer works.")),
                    self._help(preferred),
                ]
            case Text(text):
                return await self._text(uow, parent, text, preferred, now)
            case Media():
                t = self._t(preferred)
                return [
                    self._say(
                        t,
                        t.gettext(
                            "For now I can only read written messages. You are welcome to write."
                        ),
                    )
                ]
        raise TypeError(f"unknown input {type(incoming).__name__}")

    async def _choose(
        self, uow: UnitOfWork, parent: Parent, code: str, preferred: str | None, now: datetime
    ) -> list[Reply]:
        if code not in self.languages:
            t = self._t(preferred)
            return [
                self._say(t, t.gettext("That choice is no longer available.")),
                self._picker(preferred),
            ]
        await uow.parents.set_language(parent.id, code, now)
        t = self._t(code)
        confirm = t.gettext("Fine, we will write in English. You can change this with /language.")
        return [self._say(t, confirm), self._greeting(code)]

    async def _text(
        self, uow: UnitOfWork, parent: Parent, text: str, preferred: str | None, now: datetime
    ) -> list[Reply]:
        typed = normalise_label(text).removeprefix(normalise_label(PRESELECTED_MARK))
        for code in self.languages:
            if typed == normalise_label(LANGUAGES[code].native_name):
                return await self._choose(uow, parent, code, preferred, now)
        if parent.language is None:
            # The pre-selected language is taken when a parent writes instead of choosing.
            return await self._choose(uow, parent, self._t(preferred).code, preferred, now)
        t = self._t(parent.language)
        return [
            self._say(
                t,
                t.gettext(
                    "Thank you for writing. I cannot pass questions on to a person yet. "
                    "Use /help to see what you can do here."
                ),
            )
        ]

    def _picker(self, preselected: str | None) -> Reply:
        t = self._t(preselected)
        rows = tuple(
            (
                Choice(
                    (PRESELECTED_MARK if code == t.code else "") + LANGUAGES[code].native_name,
                    LANGUAGE_ACTION + code,
                ),
            )
            for code in self.languages
        )
        text = t.gettext("Which language would you like? You can change it later with /language.")
        return Reply(text=text, choices=rows, rtl=t.rtl)

    def _greeting(self, code: str | None) -> Reply:
        t = self._t(code)
        return self._say(
            t,
            t.gettext(
                "Welcome to Tussen In. Here you can ask questions about your children and your "
                "family, in your own language.\n\n"
                "We don't ask your name. Nothing is passed on unless you say so. "
                "You can stop at any moment.\n\n"
                "Use /help to see what you can do here."
            ),
        )

    def _help(self, code: str | None) -> Reply:
        t = self._t(code)
        return self._say(
            t,
            t.gettext(
                "What you can do here:\n"
                "/start – begin again\n"
                "/language – choose another language\n"
                "/help – this overview"
            ),
        )

    def _unknown_command(self, code: str | None) -> Reply:
        t = self._t(code)
        return self._say(
            t, t.gettext("I don't know that command. Use /help to see what you can do here.")
        )

    def _t(self, code: str | None) -> Translator:
        return self._catalogs.translator(code)

    @staticmethod
    def _say(t: Translator, text: str) -> Reply:
        return Reply(text=text, rtl=t.rtl)

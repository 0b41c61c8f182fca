"""The command menu, per language where Telegram accepts the language code."""

from __future__ import annotations

from telegram import Bot, BotCommand

from bot.i18n import N_, Catalogs
from bot.services.languages import FALLBACK_LANGUAGE

COMMANDS = (
    ("start", N_("Begin or begin again")),
    ("language", N_("Choose your language")),
    ("listen", N_("Hear the messages spoken")),
    ("read", N_("Only read the messages")),
    ("stop", N_("No more messages until you write")),
    ("forget", N_("Erase everything")),
    ("help", N_("What you can do here")),
)


async def publish_menus(bot: Bot, catalogs: Catalogs, languages: list[str]) -> None:
    """The default menu is Dutch; each enabled language with a two-letter ISO 639-1 code gets
    its own (Telegram refuses others, such as rif; those parents see the Dutch menu)."""
    for code in [None, *(code for code in languages if len(code) == 2)]:
        t = catalogs.translator(code or FALLBACK_LANGUAGE)
        commands = [BotCommand(name, t.gettext(description)) for name, description in COMMANDS]
        await bot.set_my_commands(commands, language_code=code)

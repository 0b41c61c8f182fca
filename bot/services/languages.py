"""The languages the bot speaks, each named in its own script."""

from __future__ import annotations

from dataclasses import dataclass

SOURCE_LANGUAGE = "en"  # msgids are written in English; every language has a catalog
FALLBACK_LANGUAGE = "nl"


@dataclass(frozen=True)
class Language:
    code: str
    native_name: str
    rtl: bool = False


LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in (
        Language("nl", "Nederlands"),
        Language("en", "English"),
        Language("ar", "العربية", rtl=True),
        Language("tr", "Türkçe"),
        Language("pl", "Polski"),
        Language("uk", "Українська"),
        Language("so", "Soomaali"),
        Language("ti", "ትግርኛ"),
        Language("rif", "Tarifit"),  # Tamazight of the Rif, in Latin script
    )
}


def from_telegram_code(language_code: str | None, enabled: list[str]) -> str | None:
    """Map an IETF tag from a Telegram client ("en-GB", "ar") onto an enabled language."""
    if not language_code:
        return None
    # Telegram's apps never send so, ti or rif: those parents choose in the picker.
    primary = language_code.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in enabled else None

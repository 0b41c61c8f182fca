"""The console's own words (the gettext domain "console": locales/<code>/LC_MESSAGES/
console.po) and its times, in the coordinator's language where the console has a catalog for
it, else English; times in TIMEZONE, formatted by Babel."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta

from bot.i18n import LOCALES_DIR, Catalogs, Translator, ensure_compiled
from bot.services.staff import STAFF_LANGUAGE
from storage.records import Person

DOMAIN = "console"
SOURCE_LANGUAGE = "en"  # the msgids are English


def console_languages(locales_dir: Path = LOCALES_DIR) -> list[str]:
    """The languages the console speaks: English, and every language with a console.po."""
    found = {p.parent.parent.name for p in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return sorted(found | {SOURCE_LANGUAGE})


@dataclass(frozen=True)
class Words:
    """What a page says, in one language: the console's words, the shared staff words (the
    case history, language names) and times."""

    code: str
    console: gettext.NullTranslations
    shared: Translator
    zone: ZoneInfo

    def gettext(self, message: str) -> str:
        return self.console.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.console.ngettext(singular, plural, count)

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return format_datetime(moment, "medium", tzinfo=self.zone, locale=self._locale)

    def iso(self, moment: datetime) -> str:
        """Machine-readable, for <time datetime="…">."""
        return moment.astimezone(self.zone).isoformat(timespec="minutes")

    def day(self, moment: date) -> str:
        """A day without a time: an appointment."""
        return format_date(moment, "full", locale=self._locale)

    def span(self, length: timedelta) -> str:
        """A duration in words: "3 hours", "2 days"."""
        return format_timedelta(length, threshold=1.5, locale=self._locale)

    @property
    def direction(self) -> str:
        """The page's writing direction: Arabic reads right to left."""
        return "rtl" if self.shared.rtl and self.shared.code == self.code else "ltr"

    @property
    def _locale(self) -> str:
        return self.code


class ConsoleCatalogs:
    """Loaded once at start; a language without a console catalog falls back to English."""

    def __init__(self, shared: Catalogs, zone: ZoneInfo, locales_dir: Path = LOCALES_DIR) -> None:
        self._shared = shared
        self._zone = zone
        self._loaded: dict[str, gettext.NullTranslations] = {
            SOURCE_LANGUAGE: gettext.NullTranslations()
        }
        for code in console_languages(locales_dir):
            po = locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"
            if po.exists():
                mo = po.with_suffix(".mo")
                ensure_compiled(code, po, mo)
                with mo.open("rb") as handle:
                    self._loaded[code] = gettext.GNUTranslations(handle)

    @property
    def languages(self) -> list[str]:
        return sorted(self._loaded)

    def for_code(self, code: str | None) -> Words:
        chosen = code if code in self._loaded else SOURCE_LANGUAGE
        return Words(chosen, self._loaded[chosen], self._shared.translator(chosen), self._zone)

    def for_person(self, person: Person) -> Words:
        return self.for_code(person.language or STAFF_LANGUAGE)

"""The translations as coordinators and native speakers work on them: per language its
coverage and review state; every text with its Dutch and English beside the translation;
a translation saved with the checks of `i18n check`; a text, or a whole language, marked
"reviewed by a native speaker", recording who and when.

It works on the published .po text of a language (what every instance serves) and publishes
each change as a new version through PublishedCatalogs, so the bot speaks the new words at
once and every other instance within seconds. The catalogs stay in the repo's format:
`python -m bot i18n export` writes them back to files as they are.

Where the reviews are kept, so that they travel with the files (git, Weblate, Poedit):
- a text's review: a translator comment `# reviewed-by: <person number> <YYYY-MM-DD>`;
- a language's review: the header line `# Reviewed by a native speaker: yes (by <person
  number>, <YYYY-MM-DD>)`, which `i18n status` reads (bot.catalog_checks.reviewed)."""

from __future__ import annotations

import copy
import gettext
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from bot.catalog_checks import (
    COMMAND,
    NUMBER,
    PLACEHOLDER,
    SCRIPT_OF,
    check_message,
    coverage,
    problem_kind,
    reviewed,
)
from bot.i18n import REVIEW_MARK, _locale, is_flow_text
from bot.services.languages import LANGUAGES
from bot.services.published_catalogs import PublishedCatalogs
from storage import UnitOfWork

SHOWS = ("all", "untranslated", "fuzzy", "unreviewed")
REVIEWED_BY = "reviewed-by:"
TEXT_REVIEW = re.compile(r"reviewed-by:\s*(\d+)\s+(\d{4}-\d{2}-\d{2})")
LANGUAGE_REVIEW = re.compile(r"yes\s*\(by\s+(\d+),\s*(\d{4}-\d{2}-\d{2})\)")
MAX_TEXT = 4000  # characters of one form: far above any text of the bot
SHORT_KEY = 80  # characters of a key in the audit log
EXAMPLES = 3  # numbers shown per plural form


def read_catalog_text(text: str, code: str) -> Catalog:
    return read_po(io.BytesIO(text.encode("utf-8")), locale=_locale(code))


def write_catalog_text(catalog: Catalog) -> str:
    """As `i18n update` writes the files: the same text for the same catalog."""
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=True, include_previous=False)
    return out.getvalue().decode("utf-8")


@dataclass(frozen=True)
class Key:
    """A text of a catalog: its context (a flow text's "welcome:hello:say.0"; None for most
    of the code's words) and its msgid (the singular one of a plural entry)."""

    context: str | None
    msgid: str

    @property
    def id(self) -> str:
        """Short and stable, for a page's anchor and its forms."""
        raw = f"{self.context or ''}\x04{self.msgid}".encode()
        return "t-" + hashlib.sha256(raw).hexdigest()[:16]

    @property
    def short(self) -> str:
        """For the audit log: the context, else the start of the msgid, on one line."""
        text = self.context or " ".join(self.msgid.split())
        return text if len(text) <= SHORT_KEY else text[: SHORT_KEY - 1] + "…"


def key_of(message: Message) -> Key:
    singular = message.id[0] if isinstance(message.id, tuple) else message.id
    return Key(message.context, str(singular))


@dataclass(frozen=True)
class Review:
    """Who marked a text or a language reviewed, and on which day (None: the file says yes
    without saying who)."""

    person: int | None
    day: date | None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def text_review(message: Message) -> Review | None:
    for comment in message.user_comments:
        found = TEXT_REVIEW.fullmatch(comment.strip())
        if found:
            return Review(int(found.group(1)), _day(found.group(2)))
    return None


def language_review(catalog: Catalog) -> Review | None:
    if not reviewed(catalog):
        return None
    for line in (catalog.header_comment or "").splitlines():
        if REVIEW_MARK in line:
            found = LANGUAGE_REVIEW.search(line.split(REVIEW_MARK, 1)[1])
            if found:
                return Review(int(found.group(1)), _day(found.group(2)))
    return Review(None, None)


@dataclass(frozen=True)
class LanguageState:
    code: str
    rtl: bool
    translated: int  # translated and not fuzzy
    total: int
    untranslated: int
    fuzzy: int
    unreviewed: int  # texts without a review of their own
    review: Review | None  # the whole language; None: not reviewed

    @property
    def percent(self) -> int:
        return 100 * self.translated // max(self.total, 1)


@dataclass(frozen=True)
class Entry:
    """One text: the Dutch and the English of it, and its translation. A plural entry has
    a form per plural form of the language; the others one."""

    key: Key
    plural: str | None  # the plural msgid
    flow: bool  # a flow's text (Dutch msgid), else the code's (English msgid)
    where: tuple[str, ...]  # the extractor's notes: "flow welcome, node hello"
    dutch: tuple[str, ...]  # singular (and plural)
    english: tuple[str, ...]
    text: tuple[str, ...]  # the translation, by form ("" where missing)
    examples: tuple[tuple[int, ...], ...]  # per form of a plural entry: numbers it is for
    fuzzy: bool
    review: Review | None

    @property
    def translated(self) -> bool:
        return not self.fuzzy and bool(self.text) and all(self.text)


@dataclass(frozen=True)
class TextProblem:
    """Why a text was not saved. `kind`: script, numbers, commands, placeholders, source (left
    in Dutch), empty, long, unknown (no such text), changed (changed meanwhile), untranslated
    (nothing to review), or "" (the check's own words in `message`). `form`: the plural form
    (None: the text, or the whole entry). `expected` and `found`: the source's and the
    text's numbers, commands or placeholders; `script`: the script the language is written
    in."""

    kind: str
    form: int | None = None
    expected: tuple[str, ...] = ()
    found: tuple[str, ...] = ()
    script: str = ""
    message: str = ""


@dataclass(frozen=True)
class Outcome:
    version: int | None = None  # the version published; None: nothing was
    problems: tuple[TextProblem, ...] = ()
    entry: Entry | None = None  # as it is now (after a save)

    @property
    def unchanged(self) -> bool:
        return self.version is None and not self.problems


def _all_forms(value: object) -> tuple[str, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(str(v or "") for v in value) or ("",)
    return (str(value or ""),)


def _forms(value: object, count: int) -> tuple[str, ...]:
    """Exactly `count` forms: missing ones empty."""
    return tuple((list(_all_forms(value)) + [""] * count)[:count])


def plural_examples(catalog: Catalog) -> tuple[tuple[int, ...], ...]:
    """Per plural form of the language, the first numbers it is used for."""
    rule = gettext.c2py(catalog.plural_expr)
    found: list[list[int]] = [[] for _ in range(catalog.num_plurals)]
    for n in range(0, 1000):
        form = rule(n)
        if 0 <= form < len(found) and len(found[form]) < EXAMPLES:
            found[form].append(n)
    return tuple(tuple(numbers) for numbers in found)


def _matches(entry: Entry, query: str) -> bool:
    if not query:
        return True
    needle = query.casefold()
    haystack = [entry.key.context or "", entry.key.msgid, entry.plural or ""]
    haystack += [*entry.dutch, *entry.english, *entry.text]
    return any(needle in text.casefold() for text in haystack)


def _shown(entry: Entry, show: str) -> bool:
    if show == "untranslated":
        return not all(entry.text)
    if show == "fuzzy":
        return entry.fuzzy
    if show == "unreviewed":
        return entry.review is None
    return True


def _normalised(text: str) -> str:
    """As a browser sends a textarea: CR LF line ends, stray space at the ends."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _items(pattern: re.Pattern[str], text: str) -> tuple[str, ...]:
    return tuple(sorted(pattern.findall(text)))


ITEMS = {"numbers": NUMBER, "commands": COMMAND, "placeholders": PLACEHOLDER}


class TranslationDesk:
    def __init__(self, catalogs: PublishedCatalogs, zone: tzinfo = UTC) -> None:
        self._catalogs = catalogs
        self._zone = zone

    # --- reading ---------------------------------------------------------------------

    async def _catalog(self, uow: UnitOfWork, code: str) -> Catalog:
        return read_catalog_text(await self._catalogs.newest_text(uow, code), code)

    async def language(self, uow: UnitOfWork, code: str) -> LanguageState:
        return self._state(code, await self._catalog(uow, code))

    async def languages(self, uow: UnitOfWork) -> list[LanguageState]:
        return [await self.language(uow, code) for code in LANGUAGES]

    @staticmethod
    def _state(code: str, catalog: Catalog) -> LanguageState:
        done, total = coverage(catalog)
        messages = [m for m in catalog if m.id]
        untranslated = sum(1 for m in messages if not all(_all_forms(m.string)))
        return LanguageState(
            code,
            LANGUAGES[code].rtl if code in LANGUAGES else False,
            done,
            total,
            untranslated,
            sum(1 for m in messages if m.fuzzy),
            sum(1 for m in messages if text_review(m) is None),
            language_review(catalog),
        )

    async def entries(
        self, uow: UnitOfWork, code: str, show: str = "all", query: str = ""
    ) -> list[Entry]:
        """The language's texts, the flows' first (by flow and node), then the code's;
        `show` one of SHOWS, `query` a text to find in the source, the Dutch, the English,
        the translation or the key."""
        catalog = await self._catalog(uow, code)
        dutch = await self._catalog(uow, "nl")
        english = await self._catalog(uow, "en")
        found = [self._entry(catalog, message, dutch, english) for message in catalog if message.id]
        found = [e for e in found if _shown(e, show) and _matches(e, query.strip())]
        return sorted(found, key=lambda e: (not e.flow, e.key.context or "", e.key.msgid))

    async def entry(self, uow: UnitOfWork, code: str, key_id: str) -> Entry | None:
        """A text by its Key.id (what a page's form sends back)."""
        for entry in await self.entries(uow, code):
            if entry.key.id == key_id:
                return entry
        return None

    @staticmethod
    def _entry(catalog: Catalog, message: Message, dutch: Catalog, english: Catalog) -> Entry:
        key = key_of(message)
        plural = str(message.id[1]) if isinstance(message.id, tuple) else None
        sources = (key.msgid, plural) if plural is not None else (key.msgid,)
        flow = is_flow_text(key.context)
        other = english if flow else dutch
        found = other.get(key.msgid, context=key.context)
        theirs = _forms(found.string, len(sources)) if found is not None else ("",) * len(sources)
        if plural is not None:
            count = max(catalog.num_plurals, 1)
            text = _forms(message.string, count)
            examples = plural_examples(catalog)
        else:
            text, examples = _forms(message.string, 1), ()
        return Entry(
            key,
            plural,
            flow,
            tuple(message.auto_comments),
            sources if flow else theirs,
            theirs if flow else sources,
            text,
            examples,
            message.fuzzy,
            text_review(message),
        )

    # --- changing --------------------------------------------------------------------

    def _today(self, now: datetime) -> str:
        return now.astimezone(self._zone).date().isoformat()

    async def save(
        self,
        uow: UnitOfWork,
        code: str,
        key: Key,
        texts: Sequence[str],
        person: int,
        now: datetime,
        was: Sequence[str] | None = None,
    ) -> Outcome:
        """Save a text's translation (one form, or each plural form), checked as `i18n
        check` checks it; saved, it is no longer fuzzy and needs a review again. `was`: the
        translation the editor saw; when it changed meanwhile, nothing is saved."""
        catalog = await self._catalog(uow, code)
        message = catalog.get(key.msgid, context=key.context)
        if message is None or not message.id:
            return Outcome(problems=(TextProblem("unknown"),))
        plural = isinstance(message.id, tuple)
        count = max(catalog.num_plurals, 1) if plural else 1
        current = _forms(message.string, count)
        if was is not None and tuple(_normalised(t) for t in _forms(list(was), count)) != tuple(
            _normalised(t) for t in current
        ):
            return Outcome(problems=(TextProblem("changed"),))
        new = tuple(_normalised(t) for t in _forms(list(texts), count))
        problems = self._problems(code, message, new)
        if problems:
            return Outcome(problems=tuple(problems))
        if new == current and not message.fuzzy:
            return Outcome()
        message.string = new if plural else new[0]
        message.flags.discard("fuzzy")
        message.user_comments = [c for c in message.user_comments if not _is_review(c)]
        outcome = await self._publish(uow, code, catalog, person, now)
        if outcome.version is None:
            return outcome
        await uow.console.audit(person, "translate", code, key.short, now)
        entry = self._entry(
            catalog, message, await self._catalog(uow, "nl"), await self._catalog(uow, "en")
        )
        return Outcome(outcome.version, (), entry)

    def _problems(self, code: str, message: Message, new: tuple[str, ...]) -> list[TextProblem]:
        plural = isinstance(message.id, tuple)
        out: list[TextProblem] = []
        for form, text in enumerate(new):
            where = form if plural else None
            if not text:
                out.append(TextProblem("empty", where))
            elif len(text) > MAX_TEXT:
                out.append(TextProblem("long", where))
        if out:
            return out
        source = str(message.id[1]) if plural else str(message.id)
        for form, text in enumerate(new):
            trial = copy.copy(message)
            if plural:  # one form at a time: the others left empty are not checked
                trial.string = tuple(t if i == form else "" for i, t in enumerate(new))
            else:
                trial.string = text
            trial.flags = set()
            for problem in check_message(code, trial):
                kind = problem_kind(problem)
                pattern = ITEMS.get(kind)
                out.append(
                    TextProblem(
                        kind,
                        form if plural else None,
                        _items(pattern, source) if pattern else (),
                        _items(pattern, text) if pattern else (),
                        SCRIPT_OF.get(code, "latin"),
                        problem.message,
                    )
                )
        return out

    async def mark_reviewed(
        self, uow: UnitOfWork, code: str, key: Key | None, person: int, now: datetime
    ) -> Outcome:
        """A native speaker read a text (`key`) and found it right; or the whole language
        (`key` None). An untranslated or fuzzy text cannot be marked: save it first."""
        catalog = await self._catalog(uow, code)
        day = self._today(now)
        if key is None:
            _set_language_review(catalog, f"yes (by {person}, {day})")
            target = "language"
        else:
            message = catalog.get(key.msgid, context=key.context)
            if message is None or not message.id:
                return Outcome(problems=(TextProblem("unknown"),))
            count = max(catalog.num_plurals, 1) if isinstance(message.id, tuple) else 1
            if message.fuzzy or not all(_forms(message.string, count)):
                return Outcome(problems=(TextProblem("untranslated"),))
            kept = [c for c in message.user_comments if not _is_review(c)]
            message.user_comments = [*kept, f"{REVIEWED_BY} {person} {day}"]
            target = key.short
        outcome = await self._publish(uow, code, catalog, person, now)
        if outcome.version is not None:
            await uow.console.audit(person, "review", code, target, now)
        return outcome

    async def _publish(
        self, uow: UnitOfWork, code: str, catalog: Catalog, person: int, now: datetime
    ) -> Outcome:
        text = write_catalog_text(catalog)
        published = await self._catalogs.publish(uow, code, text, person, now)
        if published.version is None:
            return Outcome(problems=tuple(TextProblem("", message=p) for p in published.problems))
        return Outcome(published.version)


def _is_review(comment: str) -> bool:
    return comment.strip().startswith(REVIEWED_BY)


def _set_language_review(catalog: Catalog, value: str) -> None:
    """The header's review line says `value`; added when the header has none."""
    lines = (catalog.header_comment or "").splitlines()
    line = f"# {REVIEW_MARK} {value}"
    at = next((i for i, text in enumerate(lines) if REVIEW_MARK in text), None)
    if at is None:
        lines.insert(1 if lines else 0, line)
    else:
        lines[at] = line
    catalog.header_comment = "\n".join(lines)

"""The translations pages: per language its coverage and review state; a language's texts
with the Dutch, the English and the translation side by side, filtered (not translated,
needing a check, not reviewed, a search); a translation edited in place and saved with the
checks of `i18n check`, each problem at its text in plain words; a text, or the whole
language, marked "reviewed by a native speaker". The work is done by TranslationDesk; each
save is published at once to every instance. A reviewer (a VP) sees and changes only the
languages that the guard gives them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from babel.dates import format_date
from multidict import MultiDictProxy

from bot.i18n import N_
from bot.services import staff_words
from bot.services.languages import LANGUAGES
from bot.services.translation_desk import (
    MAX_TEXT,
    SHOWS,
    Entry,
    LanguageState,
    Outcome,
    Review,
    TextProblem,
    TranslationDesk,
)
from console.app import PREFIX, Console, actor_of, console_of, page, refused, words_of
from console.guard import Permission, requires, translation_languages
from console.words import Words
from storage import UnitOfWork

TRANSLATIONS = PREFIX + "/translations"
PER_PAGE = 50
MAX_QUERY = 100
MAX_FORMS = 6  # Arabic has the most plural forms
KEY = re.compile(r"t-[0-9a-f]{16}")
PAGE = re.compile(r"[0-9]{1,5}")
SCRIPTS = {
    "arabic": N_("Write this text in Arabic script."),
    "cyrillic": N_("Write this text in Cyrillic script."),
    "ethiopic": N_("Write this text in Ge'ez (Ethiopic) script."),
    "latin": N_("Write this text in Latin letters."),
}


def _desk(console: Console) -> TranslationDesk:
    return TranslationDesk(console.core.published_catalogs, console.core.settings.timezone)


# --- filters and addresses -------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    show: str = "all"
    query: str = ""
    page: int = 1

    def address(self, code: str, done: str = "", anchor: str = "", page: int | None = None) -> str:
        """The language page with these filters (and a note of what was just done)."""
        number = page or self.page
        params = {
            "show": "" if self.show == "all" else self.show,
            "q": self.query,
            "page": str(number) if number > 1 else "",
            "done": done,
        }
        kept = {name: value for name, value in params.items() if value}
        query = "?" + urlencode(kept) if kept else ""
        return f"{TRANSLATIONS}/{code}{query}" + (f"#{anchor}" if anchor else "")


def filters_of(values: Any) -> Filters:
    """From a page's query, or a form's hidden fields: anything unknown is the default."""
    show = str(values.get("show", "all"))
    given = str(values.get("page", "1"))
    return Filters(
        show if show in SHOWS else "all",
        " ".join(str(values.get("q", "")).split())[:MAX_QUERY],
        max(int(given), 1) if PAGE.fullmatch(given) else 1,
    )


def _shows(words: Words) -> list[tuple[str, str]]:
    return [
        ("all", words.gettext("All texts")),
        ("untranslated", words.gettext("Not translated")),
        ("fuzzy", words.gettext("Needs a check")),
        ("unreviewed", words.gettext("Not reviewed yet")),
    ]


# --- problems in plain words ------------------------------------------------------------


def _listed(words: Words, items: tuple[str, ...]) -> str:
    return ", ".join(items) if items else words.gettext("none")


def sentence(words: Words, problem: TextProblem) -> str:
    """A check's problem as the coordinator reads it, in their language."""
    expected, found = _listed(words, problem.expected), _listed(words, problem.found)
    if problem.kind == "placeholders":
        return words.gettext(
            "The words in curly brackets must stay exactly as in the source text: the bot "
            "fills them in. The source has {expected}; this text has {found}."
        ).format(expected=expected, found=found)
    if problem.kind == "numbers":
        return words.gettext(
            "The numbers must be the same as in the source text. The source has {expected}; "
            "this text has {found}."
        ).format(expected=expected, found=found)
    if problem.kind == "commands":
        return words.gettext(
            "The commands (such as /stop) must stay as in the source text, in Latin letters. "
            "The source has {expected}; this text has {found}."
        ).format(expected=expected, found=found)
    if problem.kind == "script":
        return words.gettext(SCRIPTS.get(problem.script, SCRIPTS["latin"]))
    if problem.kind == "source":
        return words.gettext("This is still the Dutch text. Write the translation.")
    if problem.kind == "empty":
        return words.gettext("Write the translation. An empty text would show parents Dutch.")
    if problem.kind == "long":
        return words.gettext("This text is too long: at most {n} characters.").format(n=MAX_TEXT)
    if problem.kind == "unknown":
        return words.gettext("This text is no longer in the catalog. Reload the page.")
    if problem.kind == "changed":
        return words.gettext(
            "Someone else changed this text meanwhile, so nothing was saved. Their version "
            "is shown below your text: compare, then save again."
        )
    if problem.kind == "untranslated":
        return words.gettext(
            "Only a translated and checked text can be marked reviewed. Save the translation first."
        )
    lead = words.gettext("This text could not be saved:")
    return f"{lead} {problem.message}"


# --- what the pages show ----------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """One textarea: the text, or one plural form."""

    id: str
    index: int
    label: str
    value: str
    rows: int
    errors: list[str]


@dataclass
class Shown:
    """One text as the language page shows it."""

    entry: Entry
    forms: list[Form]
    was: tuple[str, ...]  # the translation as published, sent back with the form
    review: str
    errors: list[str] = field(default_factory=list)  # about the whole text
    current: tuple[str, ...] = ()  # after "changed": what is published now


@dataclass(frozen=True)
class LanguageRow:
    state: LanguageState
    name: str
    review: str


def _rows(value: str) -> int:
    """Room for the text in a narrow column, without a scroll bar for most."""
    return min(14, max(2, value.count("\n") + 1 + len(value) // 35))


def _day(words: Words, review: Review) -> str:
    return format_date(review.day, "medium", locale=words.code) if review.day else ""


def _review_words(words: Words, review: Review | None, names: dict[int, str]) -> str:
    """ "Sanne de Vries (7), 23 Nov 2026"; "" when not reviewed."""
    if review is None:
        return ""
    who = ""
    if review.person is not None:
        who = f"{names.get(review.person, '?')} ({review.person})"
    parts = [part for part in (who, _day(words, review)) if part]
    return ", ".join(parts) or words.gettext("yes")


async def _names(uow: UnitOfWork, reviews: list[Review | None]) -> dict[int, str]:
    names: dict[int, str] = {}
    for review in reviews:
        if review is not None and review.person is not None and review.person not in names:
            person = await uow.people.get(review.person)
            names[review.person] = person.name if person else "?"
    return names


def _form_label(words: Words, language: str, entry: Entry, index: int) -> str:
    if entry.plural is None:
        return words.gettext("Translation into {language}").format(language=language)
    numbers = ", ".join(str(n) for n in entry.examples[index]) if entry.examples else ""
    return words.gettext("Form {n} (for {numbers}, …)").format(n=index + 1, numbers=numbers)


def _shown(
    words: Words,
    language: str,
    entry: Entry,
    names: dict[int, str],
    typed: tuple[str, ...] | None = None,
    problems: tuple[TextProblem, ...] = (),
) -> Shown:
    values = typed if typed is not None else entry.text
    forms = []
    for index, text in enumerate(entry.text):
        value = values[index] if index < len(values) else text
        errors = [
            sentence(words, p)
            for p in problems
            if p.form == index or (p.form is None and entry.plural is None and _at_field(p))
        ]
        forms.append(
            Form(
                f"{entry.key.id}-{index}",
                index,
                _form_label(words, language, entry, index),
                value,
                _rows(value),
                errors,
            )
        )
    about = [sentence(words, p) for p in problems if p.form is None and not _at_field(p)]
    if entry.plural is not None:  # a problem of no form in particular
        about += [sentence(words, p) for p in problems if p.form is None and _at_field(p)]
    return Shown(
        entry,
        forms,
        entry.text,
        _review_words(words, entry.review, names),
        about,
        entry.text if any(p.kind == "changed" for p in problems) else (),
    )


def _at_field(problem: TextProblem) -> bool:
    """A problem of what was typed (shown at the field), or of the text as a whole."""
    return problem.kind not in ("changed", "unknown", "untranslated", "")


# --- the pages ---------------------------------------------------------------------------


@requires(Permission.TRANSLATIONS)
async def overview(request: web.Request) -> web.Response:
    console, words = console_of(request), words_of(request)
    async with console.core.database.transaction() as uow:
        mine = translation_languages(actor_of(request).person)
        states = [state for state in await _desk(console).languages(uow) if state.code in mine]
        names = await _names(uow, [state.review for state in states])
    rows = [
        LanguageRow(
            state,
            staff_words.language(words.shared, state.code),
            _review_words(words, state.review, names),
        )
        for state in states
    ]
    return page(request, "translations.html", {"languages": rows})


def _code(request: web.Request) -> str | web.Response:
    """The page's language, or its refusal: no such language, or not one of this person's."""
    code = request.match_info.get("code", "")
    words = words_of(request)
    if code not in LANGUAGES:
        return refused(request, 404, words.gettext("There is no such language."))
    if code not in translation_languages(actor_of(request).person):
        return refused(request, 403, words.gettext("This page is not part of your work."))
    return code


async def _language_page(
    request: web.Request,
    code: str,
    filters: Filters,
    *,
    typed: dict[str, tuple[str, ...]] | None = None,
    problems: dict[str, tuple[TextProblem, ...]] | None = None,
    notice: str = "",
    warning: str = "",
    confirm_error: str = "",
    status: int = 200,
) -> web.Response:
    console, words = console_of(request), words_of(request)
    typed, problems = typed or {}, problems or {}
    desk = _desk(console)
    async with console.core.database.transaction() as uow:
        state = await desk.language(uow, code)
        entries = await desk.entries(uow, code, filters.show, filters.query)
        pages = max(1, -(-len(entries) // PER_PAGE))
        number = min(filters.page, pages)
        shown_entries = entries[(number - 1) * PER_PAGE : number * PER_PAGE]
        names = await _names(uow, [state.review, *[e.review for e in shown_entries]])
    language = staff_words.language(words.shared, code)
    shown = [
        _shown(
            words,
            language,
            entry,
            names,
            typed.get(entry.key.id),
            problems.get(entry.key.id, ()),
        )
        for entry in shown_entries
    ]
    on_page = {entry.key.id for entry in shown_entries}
    for key_id, found in problems.items():  # a text no longer on this page
        if key_id not in on_page:
            warning = warning or " ".join(sentence(words, p) for p in found)
    filters = Filters(filters.show, filters.query, number)
    return page(
        request,
        "translation_language.html",
        {
            "code": code,
            "language": language,
            "rtl": LANGUAGES[code].rtl,
            "state": state,
            "review": _review_words(words, state.review, names),
            "entries": shown,
            "count": len(entries),
            "filters": filters,
            "shows": _shows(words),
            "page_number": number,
            "pages": pages,
            "previous": filters.address(code, page=number - 1) if number > 1 else "",
            "next": filters.address(code, page=number + 1) if number < pages else "",
            "notice": notice,
            "warning": warning,
            "confirm_error": confirm_error,
        },
        status=status,
    )


def _notice(words: Words, done: str, language: str) -> str:
    return {
        "saved": words.gettext(
            "Saved. The bot uses the new text now; every other instance within seconds."
        ),
        "unchanged": words.gettext("Nothing was changed, so no new version was saved."),
        "reviewed": words.gettext("The text is marked as reviewed by a native speaker."),
        "language": words.gettext("{language} is marked as reviewed by a native speaker.").format(
            language=language
        ),
    }.get(done, "")


@requires(Permission.TRANSLATIONS)
async def language_page(request: web.Request) -> web.Response:
    code = _code(request)
    if isinstance(code, web.Response):
        return code
    words = words_of(request)
    done = request.query.get("done", "")
    notice = _notice(words, done, staff_words.language(words.shared, code))
    return await _language_page(request, code, filters_of(request.query), notice=notice)


def _texts(form: MultiDictProxy[Any], name: str) -> tuple[str, ...]:
    """The forms' texts as sent (one more character than allowed is kept, to refuse it)."""
    return tuple(str(text)[: MAX_TEXT + 1] for text in form.getall(name, [])[:MAX_FORMS])


def _key_id(form: MultiDictProxy[Any]) -> str:
    given = str(form.get("key", ""))
    return given if KEY.fullmatch(given) else ""


@requires(Permission.TRANSLATIONS)
async def save(request: web.Request) -> web.Response:
    code = _code(request)
    if isinstance(code, web.Response):
        return code
    console, actor = console_of(request), actor_of(request)
    form = await request.post()
    filters, key_id = filters_of(form), _key_id(form)
    typed, was = _texts(form, "text"), _texts(form, "was")
    desk = _desk(console)
    outcome = Outcome(problems=(TextProblem("unknown"),))
    async with console.core.database.transaction() as uow:
        entry = await desk.entry(uow, code, key_id) if key_id else None
        if entry is not None:
            outcome = await desk.save(
                uow, code, entry.key, typed, actor.number, console.core.clock.now(), was=was
            )
    if outcome.problems:
        return await _language_page(
            request,
            code,
            filters,
            typed={key_id: typed},
            problems={key_id or "t-unknown": outcome.problems},
            status=400,
        )
    done = "unchanged" if outcome.unchanged else "saved"
    raise web.HTTPSeeOther(filters.address(code, done, key_id))


@requires(Permission.TRANSLATIONS)
async def review(request: web.Request) -> web.Response:
    """A text (the form names its key) or the whole language (a confirmed form without a
    key) marked reviewed by a native speaker."""
    code = _code(request)
    if isinstance(code, web.Response):
        return code
    console, actor, words = console_of(request), actor_of(request), words_of(request)
    form = await request.post()
    filters, key_id = filters_of(form), _key_id(form)
    whole = "key" not in form
    if whole and form.get("confirm") != "yes":
        sentence_ = words.gettext(
            "Tick the box to confirm that a native speaker has read the texts of this language."
        )
        return await _language_page(request, code, filters, confirm_error=sentence_, status=400)
    desk = _desk(console)
    outcome = Outcome(problems=(TextProblem("unknown"),))
    now = console.core.clock.now()
    async with console.core.database.transaction() as uow:
        if whole:
            outcome = await desk.mark_reviewed(uow, code, None, actor.number, now)
        else:
            entry = await desk.entry(uow, code, key_id) if key_id else None
            if entry is not None:
                outcome = await desk.mark_reviewed(uow, code, entry.key, actor.number, now)
    if outcome.problems:
        return await _language_page(
            request,
            code,
            filters,
            problems={key_id or "t-language": outcome.problems},
            status=400,
        )
    raise web.HTTPSeeOther(
        filters.address(code, "language" if whole else "reviewed", "" if whole else key_id)
    )


def add_routes(router: web.UrlDispatcher) -> None:
    # Any segment matches, so that the guard answers first (401, 403) and only then the
    # page says whether there is such a language (404).
    router.add_get("/translations", overview)
    router.add_get("/translations/{code:[^/]+}", language_page)
    router.add_post("/translations/{code:[^/]+}/save", save)
    router.add_post("/translations/{code:[^/]+}/review", review)

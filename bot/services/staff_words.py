"""Codes put into words for the staff member who reads them: case states, topics, outcomes,
languages, gender, urgency and durations, each in the reader's own language. Staff texts
show these words, never the codes (`in_contact`, `safety`, `referred_cjg`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_timedelta

from bot.i18n import N_, Translator
from bot.services.languages import FALLBACK_LANGUAGE, LANGUAGES
from flows.answers import without_symbol
from storage.records import Case, Person

# Case states as storage writes them (storage.cases), in their order of life.
STATES = ("waiting", "offered", "accepted", "in_contact", "referred", "closed", "withdrawn")
_STATES = {
    "waiting": N_("waiting for a vertrouwenspersoon"),
    "offered": N_("offered"),
    "accepted": N_("accepted"),
    "in_contact": N_("in contact"),
    "referred": N_("referred, care is starting"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn"),
}
# The parents' own words for the topics: the ask flow's buttons (flows/defaults/ask.yaml),
# by the context the flow extractor gives them, so staff read what the parent chose (without
# the emoji that helps a parent find the button).
_TOPICS = {
    "parenting": ("ask:topic:choose.0", "🧒 Opvoeding en gedrag"),
    "school": ("ask:topic:choose.1", "🏫 School"),
    "money": ("ask:topic:choose.2", "💶 Geld en schulden"),
    "housing": ("ask:topic:choose.3", "🏠 Wonen"),
    "health": ("ask:topic:choose.4", "🩺 Gezondheid en zorgen"),
    "safety": ("ask:topic:choose.5", "🕊️ Rust en veiligheid thuis"),
    "other": ("ask:topic:choose.6", "💭 Iets anders"),
}
_OUTCOMES = {
    "helped": N_("Helped"),
    "referred_cjg": N_("Referred to the CJG"),
    "referred_wijkteam": N_("Referred to the wijkteam"),
    "referred_huisarts": N_("Referred to the huisarts"),
    "referred_other": N_("Referred elsewhere"),
    "no_contact": N_("No contact"),
    "no_answer": N_("No answer after the referral"),
    "withdrawn": N_("Withdrawn by the parent"),
    "blocked": N_("The parent was blocked"),
}

# The kinds of partner organisation (CoordinatorSettings.partners), for staff.
_PARTNER_KINDS = {
    "cjg": N_("Youth and family centre (CJG)"),
    "wijkteam": N_("Neighbourhood team (wijkteam)"),
    "huisarts": N_("General practitioner (huisarts)"),
    "jeugdzorg": N_("Youth care (jeugdzorg)"),
    "school": N_("School"),
    "debt_help": N_("Debt help"),
    "other": N_("Other organisation"),
}


def state(t: Translator, code: str) -> str:
    return t.gettext(_STATES[code]) if code in _STATES else code


def topic(t: Translator, code: str | None) -> str:
    if not code:
        return t.gettext("no topic chosen")
    if code not in _TOPICS:
        return code  # a topic a coordinator's own flow sets: their word already
    context, label = _TOPICS[code]
    return without_symbol(t.pgettext(context, label))


def outcome(t: Translator, code: str) -> str:
    return t.gettext(_OUTCOMES[code]) if code in _OUTCOMES else code


def partner_kind(t: Translator, code: str) -> str:
    return t.gettext(_PARTNER_KINDS[code]) if code in _PARTNER_KINDS else code


def urgency(t: Translator, urgent: bool) -> str:
    return t.gettext("urgent") if urgent else t.gettext("not urgent")


def urgency_left(t: Translator, case: Case, limit: timedelta, now: datetime) -> str:
    """Urgency with the time left until the 48-hour deadline: "urgent, within 47 hours"."""
    if not case.urgent:
        return t.gettext("not urgent")
    left = limit - (now - case.created_at)
    if left <= timedelta(0):
        return t.gettext("urgent, the deadline has passed")
    return t.gettext("urgent, within {duration}").format(duration=duration(t, left))


def facts(t: Translator, case: Case, limit: timedelta, now: datetime) -> str:
    """What an offer or a hand assignment says of a case, all in words."""
    return "\n".join(
        (
            t.gettext("Language: {language}").format(language=language(t, case.language)),
            t.gettext("Topic: {topic}").format(topic=topic(t, case.topic)),
            t.gettext("Urgency: {urgency}").format(urgency=urgency_left(t, case, limit, now)),
        )
    )


def gender(t: Translator, code: str) -> str:

    if code == "f":
        return t.gettext("woman")
    if code == "m":
        return t.gettext("man")
    return t.gettext("gender not given")


def language(t: Translator, code: str) -> str:
    """The language's name in the reader's language, as Babel knows it; else its own name."""
    name = None
    if code in _babel_known():
        try:
            name = Locale.parse(code).get_display_name(_locale(t))
        except (UnknownLocaleError, ValueError):
            name = None
    if not name or name.lower() == code:
        return LANGUAGES[code].native_name if code in LANGUAGES else code
    return name


def languages(t: Translator, codes: tuple[str, ...] | list[str]) -> str:
    return ", ".join(language(t, code) for code in codes) or "-"


def duration(t: Translator, delta: timedelta) -> str:
    """ "47 hours", "2 days", "5 minutes": Babel's words in the reader's language."""
    seconds = max(delta.total_seconds(), 0)
    if seconds < 3 * 3600:  # "45 minutes" rather than "1 hour" close to the deadline
        return format_timedelta(
            timedelta(seconds=seconds), threshold=2, granularity="minute", locale=_locale(t)
        )
    return format_timedelta(
        timedelta(seconds=seconds), threshold=2, granularity="hour", locale=_locale(t)
    )


def time_of_day(t: Translator, moment: datetime, zone: ZoneInfo) -> str:
    """A moment as the coordinator's clock shows it, with the day: "23 nov., 14:05"."""
    return format_datetime(moment, "d MMM, HH:mm", tzinfo=zone, locale=_locale(t))


def day(t: Translator, moment: date) -> str:
    """A day in words: "maandag 14 december"."""
    return format_date(moment, "EEEE d MMMM", locale=_locale(t))


def vp(person: Person | None, vp_id: int) -> str:
    """How staff texts name a VP: by number and display name, "VP 3 (Amina)"."""
    if person is None:
        return f"VP {vp_id}"
    return f"VP {person.id} ({person.display_name})"


def staff_member(t: Translator, person: Person | None, person_id: int) -> str:
    """A VP as vp() names them; a coordinator by their name."""
    if person is not None and person.role == "coordinator":
        return t.gettext("coordinator {name}").format(name=person.name)
    return vp(person, person_id)


def named(cases: list[Case], alias: str) -> Case | None:
    """The one of `cases` with the alias as typed (in any case), or None."""
    return next((c for c in cases if c.alias == alias.upper()), None)


def not_yours(t: Translator, alias: str) -> str:
    """The same for a case of someone else's as for one that does not exist."""
    text = t.gettext("{alias} is not one of your open questions.")
    return text.format(alias=alias.upper()[:8])


def case_line(t: Translator, case: Case) -> str:
    """One case in a list: alias, language, topic and state, all in words."""
    return (
        f"{case.alias} – {language(t, case.language)}, {topic(t, case.topic)}, "
        f"{state(t, case.status)}"
    )


def chooser_label(t: Translator, case: Case) -> str:
    """A case on a button: alias, language and topic."""
    return f"{case.alias} – {language(t, case.language)}, {topic(t, case.topic)}"


def _locale(t: Translator) -> Locale:
    return _babel_locale(t.code)


@cache
def _babel_locale(code: str) -> Locale:
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK_LANGUAGE)


@cache
def _babel_known() -> frozenset[str]:
    known = set()
    for code in LANGUAGES:
        try:
            Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            continue
        known.add(code)
    return frozenset(known)

"""The coordinator's settings page: every setting of settings.yaml as a form, with each error
at its field in plain words; a save is published as a new version that every instance serves
within seconds. Below the form, the versions published before, each readable as its text.

The form's names are the settings' places ("urgent.everyone_after"), so a validation error's
location leads straight back to its field. The work is done by PublishedSettings."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import time, timedelta
from itertools import pairwise
from typing import Any

import annotated_types
import yaml
from aiohttp import web
from multidict import MultiDictProxy
from pydantic import BaseModel, ValidationError

from bot.i18n import N_
from bot.services import staff_words
from bot.services.coordinator_settings import Cases, CoordinatorSettings, Flood, Urgent
from bot.services.languages import LANGUAGES
from bot.services.published_settings import KIND
from bot.services.staff import TOPICS
from console.app import PREFIX, actor_of, console_of, page, refused, words_of
from console.guard import Permission, requires
from console.history import lines_of
from console.words import Words
from flows.durations import format_duration, parse_duration

log = logging.getLogger(__name__)

SETTINGS = PREFIX + "/settings"
SHOWN_VERSIONS = 20
MAX_TYPED = 200  # characters of one field; a longer value is refused, never cut and saved
GENDERS = ("f", "m")
TEXTS = ("text", "tel", "email", "url")  # free text, one line each
NUMBER = re.compile(r"[0-9]{1,12}")
HEADER = (
    "# Tussen In — the coordinator's settings (what each one means: see settings.yaml).\n"
    "# Durations are written like 30s, 15m, 4h, 2d or 1h30m; times as HH:MM, local time.\n"
)


@dataclass(frozen=True)
class Field:
    """One input; its name in the form is its place in the settings."""

    key: str  # "urgent.everyone_after"
    kind: str  # text, tel, email, url, duration, number, time, gender
    label: str  # English; the template translates it
    hint: str = ""
    optional: bool = False  # empty means none
    low: int | None = None
    high: int | None = None
    topic: str = ""  # matching: its label is the topic's name

    @property
    def id(self) -> str:
        return "s-" + self.key.replace(".", "-")


@dataclass(frozen=True)
class Section:
    """A fieldset: one part of the settings file, with what it is for."""

    key: str
    legend: str
    about: str
    fields: tuple[Field, ...] = ()

    @property
    def id(self) -> str:
        return "s-" + self.key


def _number(model: type[BaseModel], key: str, label: str, hint: str = "") -> Field:
    """A whole number with the model's own bounds."""
    low = high = None
    for rule in model.model_fields[key.split(".")[-1]].metadata:
        if isinstance(rule, annotated_types.Ge):
            low = int(rule.ge)  # type: ignore[call-overload]
        elif isinstance(rule, annotated_types.Le):
            high = int(rule.le)  # type: ignore[call-overload]
    return Field(key, "number", label, hint, low=low, high=high)


def _duration(key: str, label: str, hint: str = "", optional: bool = False) -> Field:
    return Field(key, "duration", label, hint, optional=optional)


SECTIONS: tuple[Section, ...] = (
    Section(
        "organisation",
        N_("Organisation"),
        N_("Your organisation's name and how people can reach it."),
        (
            Field("organisation.name", "text", N_("Name")),
            Field(
                "organisation.phone",
                "tel",
                N_("Phone number"),
                N_("The number parents may call during office hours."),
                optional=True,
            ),
            Field("organisation.email", "email", N_("Email address"), optional=True),
            Field("organisation.website", "url", N_("Website"), optional=True),
        ),
    ),
    Section(
        "languages",
        N_("Languages"),
        N_("The languages parents can choose in the bot. Each needs its translations."),
    ),
    Section(
        "quiet_hours",
        N_("Quiet hours"),
        N_(
            "No check-in reaches a parent between these times (local time). Urgent steps to "
            "vertrouwenspersonen and coordinators are never held back."
        ),
        (
            Field("quiet_hours.start", "time", N_("From")),
            Field("quiet_hours.end", "time", N_("Until"), N_("This may be the next morning.")),
        ),
    ),
    Section(
        "timings",
        N_("Timings"),
        N_("Durations are written like 30m, 4h, 2d or 1h30m."),
        (
            _duration(
                "timings.delivery_give_up",
                N_("Stop retrying a message after"),
                N_("For a message Telegram keeps refusing."),
            ),
            _duration(
                "timings.invite_valid",
                N_("An invitation link works for"),
                N_("The link that registers a new vertrouwenspersoon or coordinator."),
            ),
            _duration(
                "timings.offer_timeout",
                N_("An offer waits for an answer for"),
                N_("Then the next vertrouwenspersoon is asked."),
            ),
        ),
    ),
    Section(
        "cases",
        N_("Questions per parent"),
        N_("A parent with this many open questions cannot open another."),
        (_number(Cases, "cases.max_open_per_parent", N_("Open questions at once")),),
    ),
    Section(
        "urgent",
        N_("Urgent questions"),
        N_(
            "A vertrouwenspersoon must be in contact within 48 hours. Each step counts from "
            "when the parent passed the question on; quiet hours never hold them back."
        ),
        (
            _number(
                Urgent,
                "urgent.first_wave",
                N_("Offer it at once to"),
                N_("This many of the best matching vertrouwenspersonen."),
            ),
            _duration(
                "urgent.everyone_after",
                N_("Offer it to everyone after"),
                N_("Not accepted yet: every matching vertrouwenspersoon is asked."),
            ),
            _duration(
                "urgent.coordinator_after",
                N_("Ask a coordinator after"),
                N_("Still not accepted: a coordinator chooses a vertrouwenspersoon by hand."),
            ),
            _duration(
                "urgent.breach_after",
                N_("A breach after"),
                N_("Nobody in contact yet: every coordinator is alerted."),
            ),
            _duration(
                "urgent.breach_repeat",
                N_("Repeat the breach alert every"),
                N_("Until someone is in contact."),
            ),
        ),
    ),
    Section(
        "follow_ups",
        N_("Check-ins"),
        N_(
            "Messages after a question was accepted or closed. They never reach a parent "
            "during quiet hours."
        ),
        (
            _duration(
                "follow_ups.checkin_after",
                N_("Ask the parent after"),
                N_("From acceptance: has the vertrouwenspersoon been in touch?"),
            ),
            _duration(
                "follow_ups.vp_reminder_after",
                N_("Remind the vertrouwenspersoon after"),
                N_("From acceptance, when they have not written to the parent yet."),
            ),
            _duration(
                "follow_ups.mediate_after",
                N_("A coordinator mediates after"),
                N_("From when the parent says there has been no contact yet."),
            ),
            _duration(
                "follow_ups.satisfaction_after",
                N_("Ask how it went after"),
                N_("From closing: one anonymous question. Leave empty to ask none."),
                optional=True,
            ),
        ),
    ),
    Section(
        "referrals",
        N_("Referrals"),
        N_(
            "A question referred to a partner stays open. The parent is asked whether they "
            "got in touch, never during quiet hours; “not yet” twice, or “it’s stuck”, and "
            "the vertrouwenspersoon mediates."
        ),
        (
            _duration(
                "referrals.checkin_after_appointment",
                N_("Ask the parent after the appointment day starts, after"),
                N_("1d: the day after the appointment, at the time below."),
            ),
            Field("referrals.checkin_at", "time", N_("At")),
            _duration(
                "referrals.checkin_without_date",
                N_("Without an appointment date, ask after"),
                N_("From the referral."),
            ),
            _duration(
                "referrals.ask_again_after",
                N_("After “not yet”, ask again after"),
            ),
            _duration(
                "referrals.no_answer_after",
                N_("Close as “no answer” after"),
                N_("From a check-in nobody answered. The vertrouwenspersoon is told."),
            ),
        ),
    ),
    Section(
        "retention",
        N_("Keeping data"),
        N_("How long things are kept before they are erased."),
        (
            _duration("retention.closed_cases", N_("Closed questions")),
            _duration("retention.idle_conversations", N_("Conversations that stopped")),
            _duration("retention.audit_log", N_("The audit log")),
            _duration(
                "retention.processed_updates",
                N_("Received Telegram updates"),
                N_("Telegram sends an update again for a day at most."),
            ),
            _duration(
                "retention.sent_messages",
                N_("Receipts of sent messages"),
                N_("Their text is erased at once."),
            ),
            _duration("retention.finished_tasks", N_("Finished scheduled tasks")),
        ),
    ),
    Section(
        "flood",
        N_("Writing very fast"),
        N_(
            "For one person writing very fast (a stuck key, a script). Beyond this limit they "
            "get one kind request to slow down and no other answer; what a parent writes to "
            "their vertrouwenspersoon meanwhile is passed on at this pace."
        ),
        (
            _number(Flood, "flood.burst", N_("Messages at once")),
            _number(Flood, "flood.sustained", N_("Then this many messages")),
            _duration("flood.per", N_("Per")),
            _duration("flood.notice_every", N_("At most one request to slow down every")),
        ),
    ),
    Section(
        "matching",
        N_("Matching"),
        N_(
            "Per topic, vertrouwenspersonen of this gender are offered the question first: "
            "only an order, never a filter. When a parent said what they prefer, their "
            "answer counts instead."
        ),
        tuple(
            Field(f"matching.preferred_gender.{topic}", "gender", topic, topic=topic)
            for topic in TOPICS
        ),
    ),
    Section(
        "console",
        N_("Console logins"),
        N_("How long a login link from /console works, and when a session ends."),
        (
            _duration("console.link_valid", N_("A login link works for")),
            _duration(
                "console.idle_after",
                N_("End a session when idle for"),
                N_("No page opened for this long."),
            ),
            _duration(
                "console.session_max",
                N_("End every session after"),
                N_("From the login, whatever happens."),
            ),
        ),
    ),
)
FIELDS = {field.key: field for section in SECTIONS for field in section.fields}
SECTION_KEYS = {section.key: section for section in SECTIONS}

LADDER_STEPS = ("everyone", "coordinator", "breach")  # urgent.<step>_after, in order
LADDER = N_("The steps must come in this order: everyone, then a coordinator, then the breach.")
LONGER_THAN_ZERO = N_("Write a duration longer than 0s, like 1m.")
# What must last longer than nothing, per fieldset (the models say so as a whole).
POSITIVE = {
    "urgent": ("breach_repeat",),
    "flood": ("per", "notice_every"),
    "console": ("link_valid", "idle_after", "session_max"),
    "referrals": ("checkin_without_date", "ask_again_after", "no_answer_after"),
}


# --- the settings as the form shows them, and back -------------------------------------


def _clock(moment: time) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


def _plain(value: Any) -> Any:
    """Durations written like 4h, times like 21:00: as a coordinator writes them."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, time):
        return _clock(value)
    return value


def settings_text(settings: CoordinatorSettings) -> str:
    """The settings as a file that parse_settings reads back to the same settings."""
    data = _plain(settings.model_dump())
    return HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def shown(settings: CoordinatorSettings) -> dict[str, Any]:
    """The form's values for these settings."""
    data = _plain(settings.model_dump())
    values: dict[str, Any] = {}
    for key in FIELDS:
        value: Any = data
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        values[key] = "" if value is None else str(value)
    values["languages"] = list(settings.languages)
    return values


def typed(form: MultiDictProxy[Any]) -> dict[str, Any]:
    """What was typed and ticked, kept as given to fill the form again (a value too long
    keeps one character more than allowed, so that it is still refused)."""
    values: dict[str, Any] = {
        key: str(form.get(key, "")).strip()[: MAX_TYPED + 1] for key in FIELDS
    }
    chosen = [str(code)[:16] for code in form.getall("languages", [])]
    values["languages"] = list(dict.fromkeys(chosen))[: 2 * len(LANGUAGES)]
    return values


def _ordered(before: list[str], chosen: list[str]) -> list[str]:
    """The languages kept in the order they had, the new ones after them in the usual order;
    an unknown code stays, for the settings to refuse."""
    kept = [code for code in before if code in chosen]
    added = [code for code in LANGUAGES if code in chosen and code not in kept]
    return kept + added + [code for code in chosen if code not in LANGUAGES]


def settings_data(current: CoordinatorSettings, values: dict[str, Any]) -> dict[str, Any]:
    """The current settings with the form's values in their places."""
    data = current.model_dump()
    for key, field in FIELDS.items():
        section, name, *_rest = key.split(".")
        if section == "matching":
            continue
        value = values[key]
        data[section][name] = None if field.optional and value == "" else value
    data["languages"] = _ordered(current.languages, values["languages"])
    data["matching"]["preferred_gender"] = {
        topic: values[f"matching.preferred_gender.{topic}"]
        for topic in TOPICS
        if values[f"matching.preferred_gender.{topic}"]
    }
    return data


# --- errors in plain words -------------------------------------------------------------


def _one_line(value: str) -> bool:
    return not any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value)


def _checks(words: Words, values: dict[str, Any]) -> dict[str, str]:
    """What the settings would take but a coordinator never means: an empty name, a text
    over several lines, a value far too long."""
    found: dict[str, str] = {}
    for key, field in FIELDS.items():
        value = values[key]
        if field.kind in TEXTS:
            if not value and not field.optional:
                found[key] = words.gettext("Fill this in.")
            elif len(value) > MAX_TYPED or not _one_line(value):
                found[key] = words.gettext("Write at most {n} characters, on one line.").format(
                    n=MAX_TYPED
                )
        elif len(value) > MAX_TYPED:
            found[key] = _say(words, key, values)
    return found


def _nearest(loc: tuple[str, ...]) -> str:
    """The field or fieldset an error's location belongs to ("" for the whole form)."""
    for end in range(len(loc), 0, -1):
        key = ".".join(loc[:end])
        if key in FIELDS or key in SECTION_KEYS:
            return key
    return ""


def _say(words: Words, key: str, values: dict[str, Any]) -> str:
    """Why the value of one field cannot be used, in the coordinator's words."""
    if key == "languages":
        if not values["languages"]:
            return words.gettext("Choose at least one language.")
        return words.gettext("Choose languages from the list.")
    field = FIELDS.get(key)
    kind = field.kind if field else ""
    if kind == "duration":
        return words.gettext("Write a duration like 30m, 4h or 2d.")
    if kind == "number" and field is not None:
        return words.gettext("Write a whole number from {min} to {max}.").format(
            min=field.low, max=field.high
        )
    if kind == "time":
        return words.gettext("Write a time like 21:00.")
    if kind == "gender":
        return words.gettext("Choose one from the list.")
    if kind in TEXTS and not values.get(key):
        return words.gettext("Fill this in.")
    return words.gettext("This value cannot be used here.")


def _length(values: dict[str, Any], key: str) -> timedelta | None:
    try:
        return parse_duration(values[key])
    except ValueError:
        return None


def _together(words: Words, section: str, values: dict[str, Any]) -> dict[str, str]:
    """Why a fieldset's values do not fit together: at the field when one is to blame."""
    found: dict[str, str] = {}
    for name in POSITIVE.get(section, ()):
        length = _length(values, f"{section}.{name}")
        if length is not None and length <= timedelta(0):
            found[f"{section}.{name}"] = words.gettext(LONGER_THAN_ZERO)
    if section == "urgent":
        steps = [_length(values, f"urgent.{step}_after") for step in LADDER_STEPS]
        known = [length for length in steps if length is not None]
        if len(known) == len(steps) and any(a >= b for a, b in pairwise(known)):
            found["urgent"] = words.gettext(LADDER)
    if section == "console":
        idle, longest = (
            _length(values, "console.idle_after"),
            _length(values, "console.session_max"),
        )
        if idle is not None and longest is not None and idle > longest:
            found["console"] = words.gettext(
                "The idle time cannot be longer than the longest session: a session would "
                "end before anyone could be idle that long."
            )
    return found or {section: words.gettext("These values cannot be used together.")}


def _errors(words: Words, error: ValidationError, values: dict[str, Any]) -> dict[str, str]:
    """Each pydantic error at its field or fieldset, in a sentence of ours (never its text)."""
    found: dict[str, str] = {}
    for problem in error.errors():
        key = _nearest(tuple(str(part) for part in problem["loc"]))
        if key in found:
            continue
        if key in SECTION_KEYS and key != "languages":
            for place, sentence in _together(words, key, values).items():
                found.setdefault(place, sentence)
        else:
            found[key] = _say(words, key, values)
    return found


def read_form(
    words: Words, current: CoordinatorSettings, values: dict[str, Any]
) -> tuple[CoordinatorSettings | None, dict[str, str]]:
    """The settings the form's values make, or why not: each error at its field."""
    errors = _checks(words, values)
    try:
        settings = CoordinatorSettings.model_validate(settings_data(current, values))
    except ValidationError as error:
        for key, sentence in _errors(words, error, values).items():
            errors.setdefault(key, sentence)
        return None, errors
    return (None if errors else settings), errors


def _summary(words: Words, errors: dict[str, str]) -> list[tuple[str, str, str]]:
    """The errors in the order of the page: where (its id), what (its label) and why."""
    lines: list[tuple[str, str, str]] = []
    if "" in errors:
        lines.append(("", "", errors[""]))
    for section in SECTIONS:
        if section.key in errors:
            lines.append((section.id, words.gettext(section.legend), errors[section.key]))
        for field in section.fields:
            if field.key in errors:
                lines.append((field.id, _label(words, field), errors[field.key]))
    return lines


def _label(words: Words, field: Field) -> str:
    if field.topic:
        return staff_words.topic(words.shared, field.topic)
    return words.gettext(field.label)


# --- the pages ---------------------------------------------------------------------------


async def _form_page(
    request: web.Request,
    values: dict[str, Any],
    errors: dict[str, str],
    based_on: int,
    *,
    notice: str = "",
    warning: str = "",
    problems: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    console, words = console_of(request), words_of(request)
    served = console.core.published_settings.applied
    async with console.core.database.transaction() as uow:
        versions = await uow.published.history(KIND, limit=SHOWN_VERSIONS)
        history = await lines_of(uow, words, versions, served)
    t = words.shared
    return page(
        request,
        "settings.html",
        {
            "sections": SECTIONS,
            "values": values,
            "errors": errors,
            "summary": _summary(words, errors),
            "based_on": based_on,
            "notice": notice,
            "warning": warning,
            "problems": problems or [],
            "history": history,
            "language_choices": [(code, staff_words.language(t, code)) for code in LANGUAGES],
            "topics": {topic: staff_words.topic(t, topic) for topic in TOPICS},
            "genders": [(code, staff_words.gender(t, code)) for code in GENDERS],
            "max_typed": MAX_TYPED,
        },
        status=status,
    )


@requires(Permission.SETTINGS)
async def settings_page(request: web.Request) -> web.Response:
    console, words = console_of(request), words_of(request)
    notice = ""
    saved = request.query.get("saved", "")
    if NUMBER.fullmatch(saved):
        notice = words.gettext("Saved as version {n}. Every instance uses it within seconds.")
        notice = notice.format(n=int(saved))
        moved = request.query.get("moved", "")
        if NUMBER.fullmatch(moved) and int(moved) > 0:
            notice += " " + words.ngettext(
                "{n} waiting check-in now falls in the quiet hours: it was moved to their end.",
                "{n} waiting check-ins now fall in the quiet hours: they were moved to their end.",
                int(moved),
            ).format(n=int(moved))
    elif request.query.get("unchanged"):
        notice = words.gettext("Nothing was changed, so no new version was saved.")
    served = console.core.published_settings.applied
    values = shown(console.core.coordinator.current)
    return await _form_page(request, values, {}, served, notice=notice)


def _changed(before: CoordinatorSettings, after: CoordinatorSettings) -> str:
    """Which parts changed, for the audit log: "quiet_hours, urgent"."""
    old, new = before.model_dump(), after.model_dump()
    return ", ".join(key for key in new if old.get(key) != new[key])


@requires(Permission.SETTINGS)
async def save(request: web.Request) -> web.Response:
    console, actor, words = console_of(request), actor_of(request), words_of(request)
    form = await request.post()
    values = typed(form)
    given = str(form.get("based_on", ""))
    based_on = int(given) if NUMBER.fullmatch(given) else -1
    current = console.core.coordinator.current
    settings, errors = read_form(words, current, values)
    if errors or settings is None:
        return await _form_page(request, values, errors, based_on, status=400)
    now = console.core.clock.now()
    newest, version, problems, moved = 0, None, [], 0
    async with console.core.database.transaction() as uow:
        newest = await uow.published.newest_id(KIND)
        if newest == based_on and settings != current:
            text = settings_text(settings)
            outcome = await console.core.published_settings.publish(uow, text, actor.number, now)
            version, problems, moved = outcome.version, outcome.problems, outcome.moved
            if version is not None:
                detail = _changed(current, settings)
                await uow.console.audit(actor.number, "settings", f"version {version}", detail, now)
    if newest != based_on:  # someone saved meanwhile: what they changed must not be undone unseen
        warning = words.gettext(
            "Someone else saved the settings meanwhile (version {n}), so nothing was saved. "
            "Your values are still in the form: compare them with that version below, then "
            "save again."
        ).format(n=newest)
        return await _form_page(request, values, {}, newest, warning=warning, status=409)
    if version is not None:
        raise web.HTTPSeeOther(f"{SETTINGS}?saved={version}&moved={moved}")
    if problems:  # the form's checks are the file's checks: this should not happen
        log.error("settings from the console not published: %s", "; ".join(problems))
        warning = words.gettext("These settings could not be saved. Nothing was changed.")
        return await _form_page(
            request, values, {}, based_on, warning=warning, problems=problems, status=500
        )
    raise web.HTTPSeeOther(f"{SETTINGS}?unchanged=1")


@requires(Permission.SETTINGS)
async def version_page(request: web.Request) -> web.Response:
    console, words = console_of(request), words_of(request)
    async with console.core.database.transaction() as uow:
        version = await uow.published.get(int(request.match_info["id"]))
        if version is None or version.kind != KIND:
            return refused(request, 404, words.gettext("There is no such version."))
        served = console.core.published_settings.applied
        [line] = await lines_of(uow, words, [version], served)
    return page(request, "settings_version.html", {"line": line})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/settings", settings_page)
    router.add_post("/settings", save)
    router.add_get(r"/settings/versions/{id:\d{1,9}}", version_page)

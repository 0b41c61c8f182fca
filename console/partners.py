"""The partners page: the local map of services (CJG, wijkteam, huisarts…) that a VP refers
a family to. The partners are part of the coordinator's settings, so adding, changing or
removing one publishes a new settings version, like a save on the Settings page: every
instance serves it within seconds, and a form left open while someone else saved is refused.

The form's names are the partner's places in the settings ("contact.phone"), so a
validation error's location leads back to its field."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import ValidationError

from bot.i18n import N_
from bot.services import staff_words
from bot.services.coordinator_settings import (
    MAX_PARTNER_ID,
    MAX_PARTNERS,
    PARTNER_KINDS,
    CoordinatorSettings,
    Partner,
)
from bot.services.languages import LANGUAGES
from bot.services.published_settings import KIND
from console.app import PREFIX, Console, actor_of, console_of, page, refused, words_of
from console.guard import Permission, requires
from console.settings import settings_text
from console.words import Words
from storage.figures import week_of

OUTCOME_WEEKS = 12  # the referral outcomes shown: this week and the eleven before

PARTNERS = PREFIX + "/partners"
MAX_TYPED = 200  # characters of one field; a longer value is refused, never cut and saved
NUMBER = re.compile(r"[0-9]{1,12}")
ID_PATTERN = r"[a-z0-9_]{1,40}"
TEXT_KEYS = (
    "name",
    "contact.phone",
    "contact.address",
    "contact.website",
    "contact.email",
    "contact_person",
)
PLAIN = N_("Write at most {n} characters of plain text, on one line, without < or >.")


@dataclass(frozen=True)
class Field:
    """One input of the partner form; its name is its place in a partner."""

    key: str
    kind: str  # text, tel, url, email
    label: str  # English; the template translates it
    hint: str = ""
    optional: bool = True

    @property
    def id(self) -> str:
        return "p-" + self.key.replace(".", "-")


FIELDS = (
    Field("name", "text", N_("Name"), optional=False),
    Field(
        "contact.phone",
        "tel",
        N_("Phone number"),
        N_("Digits, spaces and +, like +31 20 123 4567."),
    ),
    Field("contact.address", "text", N_("Address")),
    Field("contact.website", "url", N_("Website"), N_("Starts with https://.")),
    Field("contact.email", "email", N_("Email address")),
    Field(
        "contact_person",
        "text",
        N_("Contact person"),
        N_("A fixed person VPs may ask for. Leave empty when there is none."),
    ),
)
SAYINGS = {
    "contact.phone": N_("Write a phone number with digits, like +31 20 123 4567."),
    "contact.website": N_("Write a web address that starts with https://."),
    "contact.email": N_("Write an email address like info@cjg.example."),
}


# --- a partner as the form shows it, and back ------------------------------------------


def shown(partner: Partner | None) -> dict[str, Any]:
    """The form's values for a partner (empty for a new one)."""
    if partner is None:
        return {key: "" for key in TEXT_KEYS} | {"kind": "", "languages": []}
    contact = partner.contact
    return {
        "name": partner.name,
        "kind": partner.kind,
        "languages": list(partner.languages),
        "contact.phone": contact.phone or "",
        "contact.address": contact.address or "",
        "contact.website": contact.website or "",
        "contact.email": contact.email or "",
        "contact_person": partner.contact_person or "",
    }


def typed(form: MultiDictProxy[Any]) -> dict[str, Any]:
    """What was typed and chosen, as given (one character more than allowed is kept, so that
    a value too long is still refused)."""
    values: dict[str, Any] = {
        key: str(form.get(key, "")).strip()[: MAX_TYPED + 1] for key in TEXT_KEYS
    }
    values["kind"] = str(form.get("kind", ""))[:32]
    chosen = [str(code)[:16] for code in form.getall("languages", [])]
    values["languages"] = list(dict.fromkeys(chosen))[: 2 * len(LANGUAGES)]
    return values


def new_id(name: str, taken: set[str]) -> str:
    """A partner's id made from its name: "CJG Zuid-Oost" → cjg_zuid_oost, unique."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")[: MAX_PARTNER_ID - 4] or "partner"
    found, n = base, 1
    while found in taken or found == "new":  # /partners/new is the form for a new one
        n += 1
        found = f"{base}_{n}"
    return found


def partner_data(partner_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """A partner as the settings hold it; an empty optional field is none."""

    def given(key: str) -> str | None:
        return values[key] or None

    return {
        "id": partner_id,
        "name": values["name"],
        "kind": values["kind"],
        "languages": [code for code in LANGUAGES if code in values["languages"]]
        + [code for code in values["languages"] if code not in LANGUAGES],
        "contact": {
            "phone": given("contact.phone"),
            "address": given("contact.address"),
            "website": given("contact.website"),
            "email": given("contact.email"),
        },
        "contact_person": given("contact_person"),
    }


def with_partners(current: CoordinatorSettings, partners: list[Any]) -> dict[str, Any]:
    return current.model_dump() | {"partners": partners}


def _one_line(value: str) -> bool:
    return not any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value)


def _say(words: Words, key: str, values: dict[str, Any]) -> str:
    """Why the value of one field cannot be used, in the coordinator's words."""
    if key in ("name",) and not values["name"]:
        return words.gettext("Fill this in.")
    if key == "kind":
        return words.gettext("Choose one from the list.")
    if key == "languages":
        return words.gettext("Choose languages from the list.")
    if key in SAYINGS:
        return words.gettext(SAYINGS[key])
    return words.gettext(PLAIN).format(n=MAX_TYPED if key in TEXT_KEYS else MAX_PARTNER_ID)


def read_form(
    words: Words, current: CoordinatorSettings, partner_id: str, values: dict[str, Any]
) -> tuple[CoordinatorSettings | None, dict[str, str]]:
    """The settings with this partner added or changed, or why not: each error at its field
    ("" for the whole form)."""
    errors: dict[str, str] = {}
    for key in TEXT_KEYS:
        if len(values[key]) > MAX_TYPED or not _one_line(values[key]):
            errors[key] = _say(words, key, values)
    if not values["name"]:
        errors["name"] = words.gettext("Fill this in.")
    partners: list[Any] = [p.model_dump() for p in current.partners]
    mine = partner_data(partner_id, values)
    place = next((n for n, p in enumerate(current.partners) if p.id == partner_id), None)
    if place is None:
        partners.append(mine)
        place = len(partners) - 1
    else:
        partners[place] = mine
    try:
        settings = CoordinatorSettings.model_validate(with_partners(current, partners))
    except ValidationError as error:
        for problem in error.errors():
            loc = tuple(str(part) for part in problem["loc"])
            if loc[:2] == ("partners", str(place)) and len(loc) > 2:
                key = ".".join(loc[2:4])
                key = key if key in TEXT_KEYS else loc[2]
                errors.setdefault(key, _say(words, key, values))
            elif loc == ("partners",) and len(partners) > MAX_PARTNERS:
                errors.setdefault(
                    "", words.gettext("There can be at most {n} partners.").format(n=MAX_PARTNERS)
                )
            else:
                errors.setdefault("", words.gettext("These values cannot be used together."))
        return None, errors
    return (None if errors else settings), errors


# --- the pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One partner as the list shows it: all in words."""

    partner: Partner
    kind: str
    languages: str


@dataclass(frozen=True)
class Outcomes:
    """What became of the referrals to one partner, added up over the weeks shown: never
    a case or a person (storage.referrals.PARTNER_FIGURES)."""

    name: str
    referrals: int
    reached: int
    helped: int
    stalled: int
    mediated: int


async def outcomes(console: Console, since_week: str) -> list[Outcomes]:
    """Per partner (by name; by id once removed), from the week `since_week` on."""
    async with console.core.database.transaction() as uow:
        rows = await uow.referrals.figures()
    settings = console.core.coordinator.current
    totals: dict[str, list[int]] = {}
    for row in rows:
        if str(row["week"]) < since_week:
            continue
        found = totals.setdefault(str(row["partner_id"]), [0, 0, 0, 0, 0])
        for i, key in enumerate(("referrals", "reached", "helped", "stalled", "mediated")):
            found[i] += int(row[key])
    named = [
        Outcomes(partner.name if (partner := settings.partner(key)) else key, *counts)
        for key, counts in totals.items()
    ]
    return sorted(named, key=lambda o: o.name.lower())


def _based_on(form: MultiDictProxy[Any]) -> int:
    given = str(form.get("based_on", ""))
    return int(given) if NUMBER.fullmatch(given) else -1


def _context(words: Words) -> dict[str, Any]:
    t = words.shared
    return {
        "fields": FIELDS,
        "kinds": [(code, staff_words.partner_kind(t, code)) for code in PARTNER_KINDS],
        "language_choices": [(code, staff_words.language(t, code)) for code in LANGUAGES],
        "max_typed": MAX_TYPED,
    }


def _form(
    request: web.Request,
    partner: Partner | None,
    values: dict[str, Any],
    errors: dict[str, str],
    based_on: int,
    *,
    warning: str = "",
    status: int = 200,
) -> web.Response:
    words = words_of(request)
    summary = [("", "", errors[""])] if "" in errors else []
    labels = {field.key: words.gettext(field.label) for field in FIELDS}
    labels |= {"kind": words.gettext("Kind"), "languages": words.gettext("Languages")}
    for key in ("name", "kind", "languages", *TEXT_KEYS[1:]):
        if key in errors:
            summary.append(("p-" + key.replace(".", "-"), labels[key], errors[key]))
    return page(
        request,
        "partner.html",
        _context(words)
        | {
            "partner": partner,
            "values": values,
            "errors": errors,
            "summary": summary,
            "based_on": based_on,
            "warning": warning,
        },
        status=status,
    )


def _stale(words: Words, newest: int) -> str:
    return words.gettext(
        "Someone else saved the settings meanwhile (version {n}), so nothing was saved. "
        "Your values are still in the form: look at the partners again, then save again."
    ).format(n=newest)


async def _publish(
    request: web.Request, settings: CoordinatorSettings, based_on: int, detail: str
) -> tuple[int, int | None]:
    """Publishes `settings` when the form was based on the newest version: (that newest
    version, the new version or None)."""
    console, actor = console_of(request), actor_of(request)
    now = console.core.clock.now()
    async with console.core.database.transaction() as uow:
        newest = await uow.published.newest_id(KIND)
        if newest != based_on:
            return newest, None
        text = settings_text(settings)
        outcome = await console.core.published_settings.publish(uow, text, actor.number, now)
        if outcome.version is not None:
            target = f"version {outcome.version}"
            await uow.console.audit(actor.number, "settings", target, detail, now)
    return newest, outcome.version


@requires(Permission.SETTINGS)
async def partners_page(request: web.Request) -> web.Response:
    console, words = console_of(request), words_of(request)
    t = words.shared
    rows = [
        Row(
            partner,
            staff_words.partner_kind(t, partner.kind),
            staff_words.languages(t, partner.languages),
        )
        for partner in console.core.coordinator.current.partners
    ]
    notice = ""
    done = request.query.get("done", "")
    saved = request.query.get("saved", "")
    if NUMBER.fullmatch(saved) and done in ("added", "changed", "removed"):
        said = {
            "added": N_("The partner was added (settings version {n})."),
            "changed": N_("The partner was changed (settings version {n})."),
            "removed": N_("The partner was removed (settings version {n})."),
        }
        notice = words.gettext(said[done]).format(n=int(saved))
    now = console.core.clock.now()
    since = week_of(now - timedelta(weeks=OUTCOME_WEEKS - 1))
    figures = await outcomes(console, since)
    return page(
        request,
        "partners.html",
        {"rows": rows, "notice": notice, "outcomes": figures, "weeks": OUTCOME_WEEKS},
    )


@requires(Permission.SETTINGS)
async def new_page(request: web.Request) -> web.Response:
    served = console_of(request).core.published_settings.applied
    return _form(request, None, shown(None), {}, served)


@requires(Permission.SETTINGS)
async def add(request: web.Request) -> web.Response:
    console, words = console_of(request), words_of(request)
    form = await request.post()
    values, based_on = typed(form), _based_on(form)
    current = console.core.coordinator.current
    partner_id = new_id(values["name"], {p.id for p in current.partners})
    settings, errors = read_form(words, current, partner_id, values)
    if errors or settings is None:
        return _form(request, None, values, errors, based_on, status=400)
    newest, version = await _publish(request, settings, based_on, f"partners: added {partner_id}")
    if version is None:
        return _form(request, None, values, {}, newest, warning=_stale(words, newest), status=409)
    raise web.HTTPSeeOther(f"{PARTNERS}?done=added&saved={version}")


def _partner_of(request: web.Request) -> Partner | None:
    return console_of(request).core.coordinator.current.partner(request.match_info["id"])


def _no_such(request: web.Request) -> web.Response:
    return refused(request, 404, words_of(request).gettext("There is no such partner."))


@requires(Permission.SETTINGS)
async def edit_page(request: web.Request) -> web.Response:
    partner = _partner_of(request)
    if partner is None:
        return _no_such(request)
    served = console_of(request).core.published_settings.applied
    return _form(request, partner, shown(partner), {}, served)


@requires(Permission.SETTINGS)
async def change(request: web.Request) -> web.Response:
    console, words = console_of(request), words_of(request)
    partner = _partner_of(request)
    if partner is None:
        return _no_such(request)
    form = await request.post()
    values, based_on = typed(form), _based_on(form)
    current = console.core.coordinator.current
    settings, errors = read_form(words, current, partner.id, values)
    if errors or settings is None:
        return _form(request, partner, values, errors, based_on, status=400)
    if settings == current:
        raise web.HTTPSeeOther(PARTNERS)
    newest, version = await _publish(request, settings, based_on, f"partners: changed {partner.id}")
    if version is None:
        return _form(
            request, partner, values, {}, newest, warning=_stale(words, newest), status=409
        )
    raise web.HTTPSeeOther(f"{PARTNERS}?done=changed&saved={version}")


@requires(Permission.SETTINGS)
async def remove_page(request: web.Request) -> web.Response:
    """The confirmation step: removing is one more click, never by accident."""
    partner = _partner_of(request)
    if partner is None:
        return _no_such(request)
    console = console_of(request)
    return page(
        request,
        "partner_remove.html",
        {"partner": partner, "based_on": console.core.published_settings.applied, "warning": ""},
    )


@requires(Permission.SETTINGS)
async def remove(request: web.Request) -> web.Response:
    console, words = console_of(request), words_of(request)
    partner = _partner_of(request)
    if partner is None:
        return _no_such(request)
    form = await request.post()
    based_on = _based_on(form)
    current = console.core.coordinator.current
    left = [p for p in current.partners if p.id != partner.id]
    settings = current.model_copy(update={"partners": left})
    newest, version = await _publish(request, settings, based_on, f"partners: removed {partner.id}")
    if version is None:
        return page(
            request,
            "partner_remove.html",
            {"partner": partner, "based_on": newest, "warning": _stale(words, newest)},
            status=409,
        )
    raise web.HTTPSeeOther(f"{PARTNERS}?done=removed&saved={version}")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/partners", partners_page)
    router.add_get("/partners/new", new_page)
    router.add_post("/partners/new", add)
    router.add_get(f"/partners/{{id:{ID_PATTERN}}}", edit_page)
    router.add_post(f"/partners/{{id:{ID_PATTERN}}}", change)
    router.add_get(f"/partners/{{id:{ID_PATTERN}}}/remove", remove_page)
    router.add_post(f"/partners/{{id:{ID_PATTERN}}}/remove", remove)

"""The people pages: the roster of VPs (load, state, last active, pace), the coordinators, the
professionals of partner organisations and the invitations still open; a VP's edit form;
taking staff off and back on; inviting someone with a one-time link and its QR code. The
work is done by StaffRoster. A professional's page shows their organisation, never a case."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import segno
from aiohttp import web
from markupsafe import Markup
from multidict import MultiDictProxy
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from bot.services import staff_words
from bot.services.languages import LANGUAGES
from bot.services.roster import Outcome, StaffLine, StaffRoster, VpChanges, state_of
from bot.services.staff import COORDINATOR, PARTNER, TOPICS, VP, Staff
from console.app import PREFIX, Console, actor_of, console_of, page, refused, words_of
from console.guard import Permission, requires
from console.words import Words
from storage.people import Profile
from storage.records import Person
from storage.roster import PendingInvite

PEOPLE = PREFIX + "/people"
MAX_CAPACITY = 20
GENDERS = ("f", "m")


def _printable(value: str) -> str:
    """No control characters or line breaks in a name (a joiner inside a word is fine)."""
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
        raise ValueError("control characters")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
    AfterValidator(_printable),
]
DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(_printable),
]


class Skills(BaseModel):
    """What routing needs to know of a VP."""

    languages: list[str]
    topics: list[str]
    gender: Literal["f", "m"]
    capacity: Annotated[int, Field(ge=1, le=MAX_CAPACITY)]

    @field_validator("languages")
    @classmethod
    def _languages(cls, chosen: list[str]) -> list[str]:
        if not chosen or any(code not in LANGUAGES for code in chosen):
            raise ValueError("languages")
        return [code for code in LANGUAGES if code in chosen]  # once each, in one order

    @field_validator("topics")
    @classmethod
    def _topics(cls, chosen: list[str]) -> list[str]:
        if any(code not in TOPICS for code in chosen):
            raise ValueError("topics")
        return [code for code in TOPICS if code in chosen]


class VpForm(Skills):
    """The edit form of a VP."""

    display_name: DisplayName
    reviewer: bool = False

    def changes(self) -> VpChanges:
        return VpChanges(
            self.display_name,
            tuple(self.languages),
            tuple(self.topics),
            self.gender,
            self.capacity,
            self.reviewer,
        )


class InviteForm(BaseModel):
    """Who is invited; a VP's skills come in a Skills of their own, a professional's
    organisation in an Organisation."""

    role: Literal["vp", "coordinator", "partner"]
    name: Name


class Organisation(BaseModel):
    """The partner a professional works for: one on the map now (context "partners")."""

    partner: Annotated[str, StringConstraints(min_length=1)]

    @field_validator("partner")
    @classmethod
    def _known(cls, chosen: str, info: ValidationInfo) -> str:
        if chosen not in (info.context or {}).get("partners", ()):
            raise ValueError("unknown partner")
        return chosen


def _roster(console: Console) -> StaffRoster:
    core = console.core
    return StaffRoster(
        core.reception.cases,
        Staff(core.vault),
        lambda: core.coordinator.current.timings.invite_valid,
        core.reception.staff_languages,
    )


def _values(form: MultiDictProxy[Any]) -> dict[str, Any]:
    """What was typed and ticked, kept as given to fill the form again."""
    return {
        "role": str(form.get("role", "")),
        "name": str(form.get("name", ""))[:200],
        "display_name": str(form.get("display_name", ""))[:200],
        "languages": [str(v) for v in form.getall("languages", [])],
        "topics": [str(v) for v in form.getall("topics", [])],
        "gender": str(form.get("gender", "")),
        "capacity": str(form.get("capacity", ""))[:6],
        "reviewer": form.get("reviewer") == "yes",
        "partner": str(form.get("partner", ""))[:80],
    }


def _field_errors(words: Words, error: ValidationError) -> dict[str, str]:
    """Each failed field with a sentence of ours, in the coordinator's language."""
    sentences = {
        "role": words.gettext("Choose a vertrouwenspersoon, a coordinator or a professional."),
        "name": words.gettext("Write their name, at most 80 characters."),
        "display_name": words.gettext(
            "Write the name parents see, at least 1 and at most 40 characters."
        ),
        "languages": words.gettext("Choose at least one language."),
        "topics": words.gettext("Choose topics from the list."),
        "gender": words.gettext("Choose woman or man."),
        "capacity": words.gettext("Write a whole number from 1 to {most}.").format(
            most=MAX_CAPACITY
        ),
        "partner": words.gettext("Choose the organisation they work for."),
    }
    found: dict[str, str] = {}
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        if field == "partner" and problem["type"] == "value_error":
            found.setdefault(
                field,
                words.gettext(
                    "That organisation is no longer on the Partners page. Choose one from the list."
                ),
            )
        elif field in sentences:
            found.setdefault(field, sentences[field])
    return found


def _choices(words: Words) -> dict[str, Any]:
    """The form's checkboxes and radios, in words."""
    t = words.shared
    return {
        "language_choices": [(code, staff_words.language(t, code)) for code in LANGUAGES],
        "topic_choices": [(code, staff_words.topic(t, code)) for code in TOPICS],
        "gender_choices": [(code, staff_words.gender(t, code)) for code in GENDERS],
        "max_capacity": MAX_CAPACITY,
    }


@dataclass(frozen=True)
class Line:
    """A roster row as the page shows it."""

    line: StaffLine
    languages: str
    topics: str
    gender: str
    state: str
    median: str


def _state(words: Words, state: str) -> str:
    return {
        "active": words.gettext("active"),
        "away": words.gettext("away"),
        "inactive": words.gettext("inactive"),
    }.get(state, state)


def _line(words: Words, line: StaffLine) -> Line:
    t, person = words.shared, line.person
    return Line(
        line,
        staff_words.languages(t, person.languages),
        ", ".join(staff_words.topic(t, code) for code in person.topics) or "–",
        staff_words.gender(t, person.gender),
        _state(words, line.state),
        words.span(line.median_accept) if line.median_accept is not None else "–",
    )


@dataclass(frozen=True)
class Invited:
    """A pending invitation as the page shows it."""

    invite: PendingInvite
    role: str
    languages: str


def _role(words: Words, role: str) -> str:
    if role == PARTNER:
        return words.gettext("professional of a partner organisation")
    return (
        words.gettext("coordinator") if role == COORDINATOR else words.gettext("vertrouwenspersoon")
    )


def _partners(console: Console) -> dict[str, str]:
    """The partner organisations on the map now: id to name, in the Partners page's order."""
    return {p.id: p.name for p in console.core.coordinator.current.partners}


def _organisation(console: Console, person: Person) -> str:
    """A professional's organisation by name; its id when the partner was removed."""
    return _partners(console).get(person.partner_id, person.partner_id)


@dataclass(frozen=True)
class Professional:
    """A professional of a partner as the page shows them: never a case or a parent."""

    person: Person
    organisation: str
    state: str


@requires(Permission.PEOPLE)
async def roster(request: web.Request) -> web.Response:
    console, words = console_of(request), words_of(request)
    now = console.core.clock.now()
    desk = _roster(console)
    async with console.core.database.transaction() as uow:
        vps = await desk.vps(uow, now)
        coordinators = await desk.coordinators(uow)
        professionals = await uow.roster.staff(PARTNER)
        invites = await desk.pending_invites(uow, now)
    return page(
        request,
        "people.html",
        {
            "vps": [_line(words, vp) for vp in vps],
            "coordinators": [_line(words, c) for c in coordinators],
            "professionals": [
                Professional(p, _organisation(console, p), _state(words, state_of(p)))
                for p in professionals
            ],
            "invites": [
                Invited(i, _role(words, i.role), staff_words.languages(words.shared, i.languages))
                for i in invites
            ],
        },
    )


def _number(request: web.Request) -> int:
    return int(request.match_info["number"])


def _no_such_person(request: web.Request) -> web.Response:
    words = words_of(request)
    return refused(request, 404, words.gettext("There is no such person."))


def _person_page(
    request: web.Request,
    person: Person,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    console, words = console_of(request), words_of(request)
    professional = person.role == PARTNER
    return page(
        request,
        "person.html",
        {
            "person": person,
            "editable": person.role == VP,
            "switchable": True,  # a professional taken off leaves their duos (StaffRoster)
            "organisation": _organisation(console, person) if professional else "",
            "inactive": not person.active,
            "oneself": person.id == actor_of(request).number,
            "role": _role(words, person.role),
            "state": _state(words, state_of(person)),
            "values": values,
            "errors": errors,
            **_choices(words),
        },
        status=status,
    )


@requires(Permission.PEOPLE)
async def person_page(request: web.Request) -> web.Response:
    console = console_of(request)
    async with console.core.database.transaction() as uow:
        person = await uow.people.get(_number(request))
    if person is None or person.role not in (VP, COORDINATOR, PARTNER):
        return _no_such_person(request)
    values = {
        "display_name": person.display_name,
        "languages": list(person.languages),
        "topics": list(person.topics),
        "gender": person.gender,
        "capacity": str(person.capacity),
        "reviewer": person.reviewer,
    }
    return _person_page(request, person, values, {})


@requires(Permission.PEOPLE)
async def edit_person(request: web.Request) -> web.Response:
    console, actor, words = console_of(request), actor_of(request), words_of(request)
    values = _values(await request.post())
    now = console.core.clock.now()
    async with console.core.database.transaction() as uow:
        person = await uow.people.get(_number(request))
        if person is None or person.role != VP:
            return _no_such_person(request)
        try:
            form = VpForm.model_validate(values)
        except ValidationError as error:
            errors = _field_errors(words, error)
            return _person_page(request, person, values, errors, status=400)
        changed = await _roster(console).edit(uow, actor.number, person, form.changes(), now)
    if changed:
        console.wake()  # waiting cases may have been offered to them
    raise web.HTTPSeeOther(PEOPLE)


async def _switch(request: web.Request, on: bool) -> web.Response:
    console, actor, words = console_of(request), actor_of(request), words_of(request)
    desk, now = _roster(console), console.core.clock.now()
    async with console.core.database.transaction() as uow:
        person = await uow.people.get(_number(request))
        if person is None or person.role not in (VP, COORDINATOR, PARTNER):
            return _no_such_person(request)
        if on:
            outcome = await desk.activate(uow, actor.number, person, now)
        else:
            outcome = await desk.deactivate(uow, actor.number, person, now)
    if outcome is Outcome.NOT_ONESELF:
        return refused(request, 403, words.gettext("You cannot deactivate yourself."))
    if outcome is Outcome.DONE:
        console.wake()  # their cases go to others, or waiting ones to them
    raise web.HTTPSeeOther(PEOPLE)


@requires(Permission.PEOPLE)
async def deactivate(request: web.Request) -> web.Response:
    return await _switch(request, on=False)


@requires(Permission.PEOPLE)
async def activate(request: web.Request) -> web.Response:
    return await _switch(request, on=True)


def _invite_page(
    request: web.Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> web.Response:
    console, words = console_of(request), words_of(request)
    return page(
        request,
        "invite.html",
        {
            "invitation": None,
            "values": values,
            "errors": errors,
            "partner_choices": list(_partners(console).items()),
            **_choices(words),
        },
        status=status,
    )


@requires(Permission.PEOPLE)
async def invite_form(request: web.Request) -> web.Response:
    values = {
        "role": VP,
        "name": "",
        "languages": [],
        "topics": [],
        "gender": "",
        "capacity": "3",
        "partner": "",
    }
    return _invite_page(request, values, {})


def _qr(words: Words, link: str) -> Markup:
    """The link as a QR code in inline SVG: presentation attributes only, no style (CSP)."""
    svg = segno.make(link, error="m").svg_inline(
        scale=5,
        omitsize=True,
        light="#fff",
        title=words.gettext("QR code of the invitation link"),
    )
    return Markup(svg)  # segno's own markup; it escapes the title


@requires(Permission.PEOPLE)
async def invite(request: web.Request) -> web.Response:
    console, actor, words = console_of(request), actor_of(request), words_of(request)
    values = _values(await request.post())
    errors: dict[str, str] = {}
    try:
        who = InviteForm.model_validate(values)
    except ValidationError as error:
        errors |= _field_errors(words, error)
        who = None
    skills = None
    if values["role"] == VP:
        try:
            skills = Skills.model_validate(values)
        except ValidationError as error:
            errors |= _field_errors(words, error)
    partners = _partners(console)
    organisation = None
    if values["role"] == PARTNER:
        try:
            organisation = Organisation.model_validate(values, context={"partners": partners})
        except ValidationError as error:
            errors |= _field_errors(words, error)
    if errors or who is None:
        return _invite_page(request, values, errors, status=400)
    if skills is not None:
        profile = Profile(
            who.role,
            who.name,
            tuple(skills.languages),
            skills.gender,
            tuple(skills.topics),
            skills.capacity,
        )
    elif organisation is not None:
        profile = Profile(who.role, who.name, partner_id=organisation.partner)
    else:
        profile = Profile(who.role, who.name)
    now = console.core.clock.now()
    try:
        async with console.core.database.transaction() as uow:
            made = await _roster(console).invite(uow, actor.number, profile, now)
    except LookupError:
        return refused(
            request,
            503,
            words.gettext(
                "The bot does not know its own Telegram name yet, so it cannot make a link. "
                "Ask the operator to start it once with its token."
            ),
        )
    return page(
        request,
        "invite.html",
        {
            "invitation": made,
            "invited": profile,
            "role": (
                words.gettext("professional of {organisation}").format(
                    organisation=partners[profile.partner_id]
                )
                if organisation is not None
                else _role(words, profile.role)
            ),
            "qr": _qr(words, made.link),
        },
    )


@requires(Permission.PEOPLE)
async def revoke(request: web.Request) -> web.Response:
    console, actor = console_of(request), actor_of(request)
    async with console.core.database.transaction() as uow:
        await _roster(console).revoke(
            uow, actor.number, int(request.match_info["id"]), console.core.clock.now()
        )
    raise web.HTTPSeeOther(PEOPLE)


def add_routes(router: web.UrlDispatcher) -> None:
    number = r"{number:\d{1,9}}"
    router.add_get("/people", roster)
    router.add_get(f"/people/{number}", person_page)
    router.add_post(f"/people/{number}", edit_person)
    router.add_post(f"/people/{number}/deactivate", deactivate)
    router.add_post(f"/people/{number}/activate", activate)
    router.add_get("/invite", invite_form)
    router.add_post("/invite", invite)
    router.add_post(r"/invites/{id:\d{1,12}}/revoke", revoke)

"""The board: every open case by state (waiting for a VP, offered, accepted, in contact),
urgent ones first with their 48-hour clocks, and the breaches on their own. It refreshes
itself without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from bot.services import case_board
from bot.services import staff_words as staff
from bot.services.case_board import BoardCase, UrgentClock
from console.app import PREFIX, console_of, page, words_of
from console.guard import Permission, requires
from console.words import Words

REFRESH_SECONDS = 30


@dataclass(frozen=True)
class Card:
    """One case on the board, in the reader's words."""

    alias: str
    link: str
    language: str
    topic: str
    urgency: str
    urgent: bool
    status: str
    vp: str | None
    offers: int
    opened: datetime
    age: timedelta
    clock: UrgentClock | None
    mediation: bool


@dataclass(frozen=True)
class Group:
    state: str
    title: str
    cards: list[Card]


def case_link(alias: str) -> str:
    return f"{PREFIX}/cases/{alias}"


def card(w: Words, entry: BoardCase) -> Card:
    case = entry.case
    return Card(
        alias=case.alias,
        link=case_link(case.alias),
        language=staff.language(w.shared, case.language),
        topic=staff.topic(w.shared, case.topic),
        urgency=staff.urgency(w.shared, case.urgent),
        urgent=case.urgent,
        status=case.status,
        vp=f"{case.vp_id}. {case.vp_name}" if case.vp_id is not None else None,
        offers=case.open_offers,
        opened=case.created_at,
        age=entry.age,
        clock=entry.clock,
        mediation=entry.mediation,
    )


def titles(w: Words) -> dict[str, str]:
    return {
        "waiting": w.gettext("Waiting for a vertrouwenspersoon"),
        "offered": w.gettext("Offered"),
        "accepted": w.gettext("Accepted, no contact yet"),
        "in_contact": w.gettext("In contact"),
        "referred": w.gettext("Referred to a partner, care is starting"),
    }


@requires(Permission.CASES)
async def board(request: web.Request) -> web.Response:
    console, w = console_of(request), words_of(request)
    now = console.core.clock.now()
    async with console.core.database.transaction() as uow:
        shown = await case_board.board(uow, console.core.coordinator.current, now)
    named = titles(w)
    groups = [
        Group(state, named[state], [card(w, entry) for entry in entries])
        for state, entries in shown.groups
    ]
    return page(
        request,
        "board.html",
        {
            "groups": groups,
            "breaches": [card(w, entry) for entry in shown.breaches],
            "mediations": [card(w, entry) for entry in shown.mediations],
            "empty": shown.empty,
            "now": now,
            "refresh": REFRESH_SECONDS,
        },
    )


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/", board)

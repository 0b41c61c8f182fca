"""One case's page: its head, its history, and why each VP would or would not get it; giving
it to a VP by hand (across languages only once confirmed) and closing it with an outcome.

Nothing of the parent is shown: the case's alias, language, topic, states and times, and
staff names. Every look at the page is in the case's access log; every change in the
console's audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.services import case_board
from bot.services import case_history as history
from bot.services import staff_words as staff
from bot.services.case_board import BLOCKED, CaseView, Explanation, Fit
from bot.services.cases import OUTCOMES
from console.app import actor_of, console_of, page, refused, words_of
from console.board import case_link
from console.guard import Permission, requires
from console.words import Words
from storage import UnitOfWork
from storage.cases import OPEN_STATUSES
from storage.records import Case, Person

ALIAS = re.compile(r"[A-Za-z0-9]{1,8}")
NUMBER = re.compile(r"[0-9]{1,9}")
VIEWED = "console view"


@dataclass(frozen=True)
class Choice:
    """A form's answer: what was chosen, or the error to show at the field."""

    vp: int | None = None
    outcome: str | None = None
    confirmed: bool = False
    had: int | None = None  # the case's VP (0: none) when the form was shown
    errors: dict[str, str] = field(default_factory=dict)


def _number(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if NUMBER.fullmatch(text) else None


def assign_form(w: Words, form: MultiDictProxy[Any]) -> Choice:
    vp = _number(form.get("vp"))
    errors = {} if vp else {"vp": w.gettext("Choose a vertrouwenspersoon from the list.")}
    return Choice(
        vp=vp, confirmed=form.get("confirmed") == "1", had=_number(form.get("had")), errors=errors
    )


def close_form(w: Words, form: MultiDictProxy[Any]) -> Choice:
    outcome = str(form.get("outcome", ""))
    had = _number(form.get("had"))
    if outcome not in OUTCOMES:
        errors = {"outcome": w.gettext("Choose an outcome from the list.")}
        return Choice(had=had, errors=errors)
    return Choice(outcome=outcome, had=had)


@dataclass(frozen=True)
class FitRow:
    """One VP in the routing explanation, in the reader's words."""

    number: int
    name: str
    has_case: bool
    speaks: str
    gender: str
    load: str
    full: bool
    state: str
    offer: str
    verdict: str
    first: bool  # routing would ask them first


@dataclass(frozen=True)
class Option:
    value: int
    label: str


def _offer_words(w: Words, status: str | None) -> str:
    return {
        None: "–",
        "open": w.gettext("offered, no answer yet"),
        "accepted": w.gettext("accepted"),
        "declined": w.gettext("declined"),
        "expired": w.gettext("did not answer in time"),
        "withdrawn": w.gettext("offer withdrawn"),
    }.get(status, status or "–")


def _state_words(w: Words, vp: Person) -> str:
    if not vp.active:
        return w.gettext("inactive")
    if not vp.available:
        return w.gettext("away")
    return w.gettext("available")


def _gender_words(w: Words, fit: Fit) -> str:
    said = staff.gender(w.shared, fit.vp.gender)
    if fit.gender_fits is None:
        return said
    if fit.gender_fits:
        return w.gettext("{gender}, as the parent asked").format(gender=said)
    return w.gettext("{gender}, not as the parent asked").format(gender=said)


def _verdict(w: Words, fit: Fit) -> str:
    if fit.code == BLOCKED:
        return w.gettext("blocked this parent: never offered their questions")
    if fit.rank is None:
        return history.skipped(w.shared, fit.reason.detail())
    if fit.rank == 1:
        text = w.gettext("fits: would be asked first")
    else:
        text = w.gettext("fits: number {rank} in line").format(rank=fit.rank)
    if fit.topic_match:
        text += "; " + w.gettext("knows the topic")
    return text


def _load(w: Words, open_cases: int, capacity: int) -> str:
    return w.ngettext(
        "{open} of {capacity} question", "{open} of {capacity} questions", capacity
    ).format(open=open_cases, capacity=capacity)


def fit_rows(w: Words, explanation: Explanation) -> list[FitRow]:
    return [
        FitRow(
            number=f.vp.id,
            name=f.vp.name,
            has_case=f.has_case,
            speaks=w.gettext("yes") if f.speaks else w.gettext("no"),
            gender=_gender_words(w, f),
            load=_load(w, f.open_cases, f.vp.capacity),
            full=f.full,
            state=_state_words(w, f.vp),
            offer=_offer_words(w, f.offer),
            verdict=_verdict(w, f),
            first=f.rank == 1,
        )
        for f in explanation.fits
    ]


def vp_options(w: Words, explanation: Explanation) -> list[Option]:
    """Who the case can be given to: name, number, languages and load."""
    return [
        Option(
            f.vp.id,
            f"{f.vp.id}. {f.vp.name} – {staff.languages(w.shared, f.vp.languages)} – "
            f"{_load(w, f.open_cases, f.vp.capacity)}",
        )
        for f in explanation.assignable
    ]


def _gender_wish(w: Words, case: Case) -> str:
    if case.gender_pref == "f":
        return w.gettext("a woman")
    if case.gender_pref == "m":
        return w.gettext("a man")
    if case.gender_pref:
        return w.gettext("no preference")
    return w.gettext("not asked")


def _done(w: Words, done: str, view: CaseView) -> str:
    """The result of the form just sent (the page after the redirect says it)."""
    alias = view.case.alias
    if done == "assigned" and view.vp is not None:
        return w.gettext("{alias} is now with {name}.").format(alias=alias, name=view.vp.name)
    if done == "closed" and not view.open:
        return w.gettext("{alias} is closed.").format(alias=alias)
    if done == "given-back" and view.open and view.vp is None:
        return w.gettext(
            "{alias} is urgent and nobody has been in contact with the parent yet, so it stays "
            "open: it went back to the others and its 48-hour clock runs on."
        ).format(alias=alias)
    return ""


def _context(
    w: Words,
    view: CaseView,
    *,
    done: str = "",
    problem: str = "",
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    case = view.case
    explanation = view.explanation
    offered = [f.vp for f in explanation.fits if f.offer == "open"]
    return {
        "case": case,
        "view": view,
        "language": staff.language(w.shared, case.language),
        "topic": staff.topic(w.shared, case.topic),
        "urgency": staff.urgency(w.shared, case.urgent),
        "state": staff.state(w.shared, case.status),
        "outcome": staff.outcome(w.shared, case.outcome) if case.outcome else "",
        "gender_wish": _gender_wish(w, case),
        "vp": view.vp,
        "offered": ", ".join(f"{p.id}. {p.name}" for p in offered),
        "moments": view.moments,
        "fits": fit_rows(w, explanation),
        "options": vp_options(w, explanation),
        "outcomes": [(code, staff.outcome(w.shared, code)) for code in OUTCOMES],
        "before_contact": case.urgent
        and case.status == "accepted"
        and case.first_contact_at is None,
        "had": case.vp_id or 0,
        "done": _done(w, done, view) if done else "",
        "problem": problem,
        "errors": errors or {},
    }


def _alias(request: web.Request) -> str | None:
    alias = request.match_info.get("alias", "")
    return alias.upper() if ALIAS.fullmatch(alias) else None


async def _find(uow: UnitOfWork, request: web.Request, lock: bool = False) -> Case | None:
    alias = _alias(request)
    case = await uow.cases.by_alias(alias) if alias else None
    if case is not None and lock:
        case = await uow.cases.lock(case.id)
    return case


def _no_case(request: web.Request) -> web.Response:
    return refused(request, 404, words_of(request).gettext("There is no such case."))


async def _show(
    request: web.Request,
    uow: UnitOfWork,
    case: Case,
    *,
    status: int = 200,
    done: str = "",
    problem: str = "",
    errors: dict[str, str] | None = None,
) -> web.Response:
    """The case page, in the same transaction that notes the look at it."""
    console, actor, w = console_of(request), actor_of(request), words_of(request)
    now = console.core.clock.now()
    await uow.cases.accessed(case, actor.number, VIEWED, now)
    view = await case_board.case_view(uow, case, w.shared, console.core.coordinator.current, now)
    context = _context(w, view, done=done, problem=problem, errors=errors)
    return page(request, "case.html", context, status=status)


@requires(Permission.CASES)
async def case_page(request: web.Request) -> web.Response:
    console = console_of(request)
    async with console.core.database.transaction() as uow:
        case = await _find(uow, request)
        if case is None:
            return _no_case(request)
        return await _show(request, uow, case, done=request.query.get("done", "")[:20])


def _stale(w: Words, case: Case, had: int | None) -> str:
    """Why a form no longer fits the case, if it does not."""
    if case.status not in OPEN_STATUSES:
        return w.gettext("This case was closed meanwhile. Nothing was changed.")
    if had is None or had != (case.vp_id or 0):
        return w.gettext(
            "This case changed while you were choosing. Nothing was changed: look again and "
            "choose once more."
        )
    return ""


@requires(Permission.CASES)
async def assign(request: web.Request) -> web.StreamResponse:
    console, actor, w = console_of(request), actor_of(request), words_of(request)
    choice = assign_form(w, await request.post())
    now = console.core.clock.now()
    async with console.core.database.transaction() as uow:
        case = await _find(uow, request, lock=True)
        if case is None:
            return _no_case(request)
        if problem := _stale(w, case, choice.had):
            return await _show(request, uow, case, status=409, problem=problem)
        if choice.errors:
            return await _show(request, uow, case, status=400, errors=choice.errors)
        vp = await uow.people.get(choice.vp) if choice.vp else None
        blocked = await uow.cases.blocked_for(case.parent_id)
        if vp is None or vp.role != "vp" or not vp.active or vp.id in blocked:
            errors = {"vp": w.gettext("Choose an active vertrouwenspersoon from the list.")}
            return await _show(request, uow, case, status=400, errors=errors)
        if vp.id == case.vp_id:
            errors = {"vp": w.gettext("{name} has this case already.").format(name=vp.name)}
            return await _show(request, uow, case, status=400, errors=errors)
        if case.language not in vp.languages and not choice.confirmed:
            return await _confirm(request, uow, case, vp)
        await console.core.reception.cases.assign_by_hand(
            uow, actor.person, case, vp, now, confirmed=True
        )
        await uow.console.audit(actor.number, "reassign", case.alias, f"vp {vp.id}", now)
    console.wake()
    raise web.HTTPSeeOther(f"{case_link(case.alias)}?done=assigned")


async def _confirm(request: web.Request, uow: UnitOfWork, case: Case, vp: Person) -> web.Response:
    """Across languages: say what it means and who does speak it, and ask once more."""
    console, actor, w = console_of(request), actor_of(request), words_of(request)
    now = console.core.clock.now()
    await uow.cases.accessed(case, actor.number, VIEWED, now)
    explanation = await case_board.explain(uow, case, console.core.coordinator.current)
    speakers = explanation.speakers(besides=vp.id)
    context = {
        "case": case,
        "link": case_link(case.alias),
        "chosen": vp,
        "language": staff.language(w.shared, case.language),
        "speakers": ", ".join(f"{p.id}. {p.name}" for p in speakers),
        "had": case.vp_id or 0,
    }
    return page(request, "case_confirm.html", context)


@requires(Permission.CASES)
async def close(request: web.Request) -> web.StreamResponse:
    console, actor, w = console_of(request), actor_of(request), words_of(request)
    choice = close_form(w, await request.post())
    now = console.core.clock.now()
    async with console.core.database.transaction() as uow:
        case = await _find(uow, request, lock=True)
        if case is None:
            return _no_case(request)
        if problem := _stale(w, case, choice.had):
            return await _show(request, uow, case, status=409, problem=problem)
        if choice.errors or choice.outcome is None:
            return await _show(request, uow, case, status=400, errors=choice.errors)
        closed = await console.core.reception.cases.close_by_coordinator(
            uow, actor.person, case, choice.outcome, now
        )
        detail = choice.outcome if closed else f"{choice.outcome}, given back"
        await uow.console.audit(actor.number, "close", case.alias, detail, now)
    console.wake()
    done = "closed" if closed else "given-back"
    raise web.HTTPSeeOther(f"{case_link(case.alias)}?done={done}")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/cases/{alias}", case_page)
    router.add_post("/cases/{alias}/assign", assign)
    router.add_post("/cases/{alias}/close", close)

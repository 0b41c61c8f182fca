"""The audit log: who opened or changed which case, and every login and change made in the
console, newest first, filtered by person, alias, action and dates; and its CSV export.

Looking at this page is not written to the log; downloading the CSV is. Neither shows a
parent: the log holds case aliases, staff numbers and short details only."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.i18n import N_
from console.app import actor_of, console_of, page, words_of
from console.guard import Permission, requires
from console.words import Words
from storage import UnitOfWork
from storage.audit import AuditEntry

SHOWN = 500  # rows on the page; the CSV has them all, up to CSV_CAP
CSV_CAP = 100_000
MAX_TARGET = 40  # staff_audit.target's width: an alias, "vp 3"
MAX_PERSON_DIGITS = 9
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# A spreadsheet reads a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("time", "person_number", "person_name", "kind", "action", "target", "detail")

# The actions written by the bot and the console (uow.cases.accessed, uow.console.audit);
# an action not named here is shown as its code.
ACTIONS: dict[str, str] = {
    # case_access: a case was read or changed
    "console view": N_("Opened the case in the console"),
    "history": N_("Read the case's history (/case)"),
    "urgent view": N_("Saw the case among the urgent ones (/urgent)"),
    "assigned": N_("Gave the case to a VP by hand"),
    "read": N_("Received the case with its answers"),
    "wrote": N_("Wrote in the case"),
    "card": N_("Read the case card (/case)"),
    "note": N_("Wrote a note on the case (/note)"),
    "released": N_("Let go of the urgent case"),
    "closed": N_("Closed the case"),
    # staff_audit: logins and changes made in the console
    "reassign": N_("Reassigned a case in the console"),
    "close": N_("Closed a case in the console"),
    "login": N_("Logged in to the console"),
    "login link": N_("Asked for a login link"),
    "logout": N_("Logged out"),
    "revoke session": N_("Ended another session"),
    "edit vp": N_("Changed a VP's details"),
    "invite": N_("Made an invitation"),
    "revoke invite": N_("Withdrew an invitation"),
    "deactivate": N_("Deactivated a person"),
    "activate": N_("Activated a person"),
    "export audit": N_("Downloaded the audit log"),
    "settings": N_("Saved the settings"),
    "publish flow": N_("Published a flow"),
    "roll back flow": N_("Rolled a flow back to an earlier version"),
    "translate": N_("Saved a translation"),
    "review": N_("Marked translations reviewed by a native speaker"),
}


@dataclass(frozen=True)
class Filters:
    """What the coordinator asked for; a field left None does not filter. The dates are
    days in TIMEZONE, both included."""

    person: int | None = None
    alias: str | None = None
    action: str | None = None
    start: date | None = None
    end: date | None = None

    def pairs(self) -> list[tuple[str, str]]:
        """The filters that are set, by their names in the query string."""
        pairs = [
            ("person", str(self.person) if self.person is not None else None),
            ("alias", self.alias),
            ("action", self.action),
            ("from", self.start.isoformat() if self.start else None),
            ("to", self.end.isoformat() if self.end else None),
        ]
        return [(key, value) for key, value in pairs if value is not None]

    def query(self) -> str:
        """The same filters as a query string, for the CSV link."""
        return urlencode(self.pairs())

    def since(self, zone: ZoneInfo) -> datetime | None:
        return _midnight(self.start, zone) if self.start else None

    def until(self, zone: ZoneInfo) -> datetime | None:
        return _midnight(self.end + timedelta(days=1), zone) if self.end else None

    @property
    def any(self) -> bool:
        return bool(self.pairs())


@dataclass(frozen=True)
class Parsed:
    filters: Filters
    given: dict[str, str]  # what the form shows again, as typed
    errors: dict[str, str] = field(default_factory=dict)  # per field, in the person's language


@dataclass(frozen=True)
class Line:
    """One row of the log as the page and the CSV show it."""

    at: datetime
    person_id: int
    person_name: str
    kind: str
    action: str  # the code
    label: str  # the code in words, or the code itself
    target: str
    detail: str


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _day(text: str) -> date | None:
    if not DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse(query: Mapping[str, str], actions: Iterable[str], words: Words) -> Parsed:
    """The filters from the query string: a value that does not make sense gets an error at
    its field and is left out."""
    given = {
        key: query.get(key, "").strip()[:200] for key in ("person", "alias", "action", "from", "to")
    }
    errors: dict[str, str] = {}
    person: int | None = None
    if given["person"]:
        digits = given["person"]
        if digits.isascii() and digits.isdigit() and len(digits) <= MAX_PERSON_DIGITS:
            person = int(digits)
        if person is None:
            errors["person"] = words.gettext("Write the person's number in digits, for example 3.")
    alias: str | None = None
    if given["alias"]:
        if len(given["alias"]) <= MAX_TARGET:
            alias = given["alias"]
        else:
            errors["alias"] = words.gettext(
                "That is longer than any alias or target ({n} characters at most)."
            ).format(n=MAX_TARGET)
    action: str | None = None
    if given["action"]:
        if given["action"] in set(actions):
            action = given["action"]
        else:
            errors["action"] = words.gettext("Choose an action from the list.")
    days: dict[str, date | None] = {"from": None, "to": None}
    for key in days:
        if given[key]:
            days[key] = _day(given[key])
            if days[key] is None:
                errors[key] = words.gettext("Write a date like 2026-03-29.")
    start, end = days["from"], days["to"]
    if start is not None and end is not None and end < start:
        errors["to"] = words.gettext("This date is before the first one.")
        end = None
    return Parsed(Filters(person, alias, action, start, end), given, errors)


def label(words: Words, action: str) -> str:
    known = ACTIONS.get(action)
    return words.gettext(known) if known else action


async def _lines(
    uow: UnitOfWork, filters: Filters, zone: ZoneInfo, words: Words, limit: int
) -> list[Line]:
    entries = await uow.audit.entries(
        person=filters.person,
        alias=filters.alias,
        action=filters.action,
        since=filters.since(zone),
        until=filters.until(zone),
        limit=limit,
    )
    names: dict[int, str] = {}
    for number in {entry.person_id for entry in entries}:
        person = await uow.people.get(number)
        names[number] = person.name if person is not None else ""
    return [_line(entry, names[entry.person_id], words) for entry in entries]


def _line(entry: AuditEntry, name: str, words: Words) -> Line:
    return Line(
        at=entry.at,
        person_id=entry.person_id,
        person_name=name,
        kind=entry.kind,
        action=entry.action,
        label=label(words, entry.action),
        target=entry.target,
        detail=entry.detail,
    )


@requires(Permission.AUDIT)
async def audit_page(request: web.Request) -> web.Response:
    console, words = console_of(request), words_of(request)
    async with console.core.database.transaction() as uow:
        actions = await uow.audit.actions()
        parsed = parse(request.query, actions, words)
        lines = await _lines(uow, parsed.filters, words.zone, words, SHOWN + 1)
    choices = sorted(((code, label(words, code)) for code in actions), key=lambda c: c[1].lower())
    return page(
        request,
        "audit.html",
        {
            "lines": lines[:SHOWN],
            "more": len(lines) > SHOWN,
            "shown": SHOWN,
            "choices": choices,
            "given": parsed.given,
            "errors": parsed.errors,
            "filtered": parsed.filters.any,
            "query": parsed.filters.query(),
        },
    )


def neutralised(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def as_csv(lines: Iterable[Line], zone: ZoneInfo) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheets read the names as UTF-8
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        cells = [
            line.at.astimezone(zone).isoformat(timespec="seconds"),
            str(line.person_id),
            line.person_name,
            line.kind,
            line.action,
            line.target,
            line.detail,
        ]
        writer.writerow([neutralised(cell) for cell in cells])
    return out.getvalue()


def _described(filters: Filters) -> str:
    """The export's filters for its own audit row: numbers, an alias, an action, dates."""
    return " ".join(f"{key}={value}" for key, value in filters.pairs())[:200]


@requires(Permission.AUDIT)
async def audit_csv(request: web.Request) -> web.Response:
    """Every matching row (up to CSV_CAP), as a file; the download itself is audited. A
    filter that does not make sense is left out, as on the page."""
    console, actor, words = console_of(request), actor_of(request), words_of(request)
    now = console.core.clock.now()
    async with console.core.database.transaction() as uow:
        parsed = parse(request.query, await uow.audit.actions(), words)
        lines = await _lines(uow, parsed.filters, words.zone, words, CSV_CAP)
        await uow.console.audit(actor.number, "export audit", "", _described(parsed.filters), now)
    name = f"audit-{now.astimezone(words.zone).date().isoformat()}.csv"
    return web.Response(
        text=as_csv(lines, words.zone),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/audit", audit_page)
    router.add_get("/audit.csv", audit_csv)

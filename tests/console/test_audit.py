"""The audit log page and its CSV export: logins and case accesses in one list, filters with
their errors at the field, a download that keeps the filters, is itself audited, and names no
parent."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import string
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page

from bot.i18n import Catalogs
from console.audit import CSV_COLUMNS, Line, as_csv, neutralised, parse
from console.words import ConsoleCatalogs, Words
from tests.botapi import FakeUser
from tests.console.conftest import ConsoleBot, screenshot
from tests.journeys import ask_a_question

ZONE = ZoneInfo("Europe/Amsterdam")  # TIMEZONE's default, as the test bot runs
CATALOGS = ConsoleCatalogs(Catalogs(["nl"]), ZONE)
NL = CATALOGS.for_code("nl")  # the coordinator's language: the staff default
EN = CATALOGS.for_code("en")
_ = NL.gettext


# -- the filters, the CSV cells -------------------------------------------------------------


def test_filters_are_read_and_bad_ones_left_out_with_an_error() -> None:
    good = parse(
        {"person": " 3 ", "alias": "k7f2", "action": "login", "from": "2026-03-01", "to": ""},
        ["history", "login"],
        EN,
    )
    assert good.errors == {}
    assert good.filters.person == 3 and good.filters.alias == "k7f2"
    assert good.filters.action == "login" and good.filters.start == date(2026, 3, 1)
    assert good.filters.end is None
    assert good.filters.query() == "person=3&alias=k7f2&action=login&from=2026-03-01"
    assert good.filters.since(ZONE) == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)

    bad = parse(
        {
            "person": "3; drop",
            "alias": "x" * 41,
            "action": "unheard of",
            "from": "yesterday",
            "to": "2026-02-30",
        },
        ["login"],
        EN,
    )
    assert set(bad.errors) == {"person", "alias", "action", "from", "to"}
    assert bad.errors["from"] == "Write a date like 2026-03-29."
    assert bad.filters.query() == "" and not bad.filters.any
    assert parse({"person": "１２"}, [], EN).errors.keys() == {"person"}  # digits, but not ASCII


def test_the_end_day_is_included_and_may_not_come_first() -> None:
    both = parse({"from": "2026-03-29", "to": "2026-03-29"}, [], EN).filters
    # the 29th in Amsterdam: the clocks went forward that night
    assert both.since(ZONE) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert both.until(ZONE) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    backwards = parse({"from": "2026-03-29", "to": "2026-03-01"}, [], EN)
    assert backwards.errors.keys() == {"to"} and backwards.filters.end is None
    assert backwards.filters.start == date(2026, 3, 29)


def test_errors_are_in_the_coordinators_language() -> None:
    words: Words = NL
    error = parse({"person": "abc"}, [], words).errors["person"]
    assert error == words.gettext("Write the person's number in digits, for example 3.")


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+31 6", "'+31 6"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Sanne = coordinator", "Sanne = coordinator"),
        ("", ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_neutralised(cell: str, written: str) -> None:
    assert neutralised(cell) == written


def test_the_csv_has_a_header_and_times_in_the_time_zone() -> None:
    at = datetime(2026, 7, 1, 12, 0, 5, tzinfo=UTC)
    lines = [
        Line(at, 3, "=evil", "staff", "edit vp", "Changed", "vp 4", '@capacity, "2"'),
        Line(at, 4, "Amina", "case", "read", "Received", "K7F2", ""),
    ]
    text = as_csv(lines, ZONE)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [
        list(CSV_COLUMNS),
        [
            "2026-07-01T14:00:05+02:00",
            "3",
            "'=evil",
            "staff",
            "edit vp",
            "vp 4",
            '\'@capacity, "2"',
        ],
        ["2026-07-01T14:00:05+02:00", "4", "Amina", "case", "read", "K7F2", ""],
    ]


# -- in the browser, over the running bot ---------------------------------------------------


def _parent(console_bot: ConsoleBot, rng: random.Random) -> FakeUser:
    first_name = "".join(rng.choice(string.ascii_letters) for _ in range(12))
    username = "u" + "".join(rng.choice(string.ascii_lowercase) for _ in range(12))
    return console_bot.api.user(
        rng.randrange(1_000_000_000, 9_999_999_999), first_name, username=username
    )


async def _history(console_bot: ConsoleBot, alias: str) -> None:
    """The coordinator reads a case's history in Telegram: one 'history' access."""
    count = "select count(*) from case_access where action = 'history'"
    [(before,)] = await console_bot.query(count)
    await console_bot.coordinator.send_text(f"/case {alias}")
    [answer] = await console_bot.coordinator.wait_for(1)
    assert answer["text"].startswith(alias.upper())
    [(after,)] = await console_bot.query(count)
    assert after == before + 1


async def _rows(page: Page) -> list[list[str]]:
    cells = []
    for row in await page.locator("main table tbody tr").all():
        cells.append([text.strip() for text in await row.locator("td").all_inner_texts()])
    return cells


async def _csv(page: Page, link: str) -> tuple[str, list[list[str]]]:
    async with page.expect_download() as info:
        await page.get_by_role("link", name=link).click()
    download = await info.value
    path = await download.path()
    text = await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
    assert text.startswith("\ufeff")
    return download.suggested_filename, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


async def test_the_log_lists_logins_and_case_reads_filters_and_downloads(
    console_bot: ConsoleBot, page: Page
) -> None:
    rng = random.Random()
    parents = [_parent(console_bot, rng), _parent(console_bot, rng)]
    for parent in parents:
        await ask_a_question(parent)
        await console_bot.coordinator.wait_for(1)  # no VP can take it yet
    aliases = [alias for (alias,) in await console_bot.query("select alias from cases")]
    assert len(aliases) == 2
    first, second = aliases
    await _history(console_bot, first)
    await _history(console_bot, second.lower())  # /case takes the alias in any case
    await console_bot.log_in(page)

    await page.goto(f"{console_bot.base}/console/audit")
    assert await page.locator("h1").inner_text() == _("Audit log")
    rows = await _rows(page)
    person = "Sanne de Vries"
    history, login = _("Read the case's history (/case)"), _("Logged in to the console")
    # newest first: the login, its link, then the two reads of a history
    assert [row[2] for row in rows[:4]] == [
        login,
        _("Asked for a login link"),
        history,
        history,
    ]
    assert [row[3] for row in rows[2:4]] == [second, first]
    assert rows[0][4].startswith("Mozilla/5.0")  # a login's detail: the browser
    number = (await console_bot.query("select id from person where name = 'Sanne de Vries'"))[0][0]
    assert {row[1] for row in rows} == {f"{person} ({number})"}
    await screenshot(page, "audit")

    # by alias, typed in lower case: only that case's rows
    await page.get_by_label(_("Case alias or target")).fill(first.lower())
    await page.get_by_role("button", name=_("Filter")).click()
    await page.wait_for_url(f"**alias={first.lower()}*")
    assert [(row[2], row[3]) for row in await _rows(page)] == [(history, first)]
    # a person number that is not one: said at the field, the alias filter still holds
    await page.get_by_label(_("Person number")).fill("Sanne")
    await page.get_by_role("button", name=_("Filter")).click()
    await page.wait_for_url("**person=Sanne*")
    field = page.get_by_label(_("Person number"))
    assert await field.get_attribute("aria-invalid") == "true"
    described = await field.get_attribute("aria-describedby")
    assert await page.locator(f"#{described}").inner_text() == _(
        "Write the person's number in digits, for example 3."
    )
    assert [row[3] for row in await _rows(page)] == [first]
    # the CSV keeps the filters that hold
    today = datetime.now(ZONE).date()
    name, table = await _csv(page, _("Download as CSV"))
    assert name == f"audit-{today.isoformat()}.csv"
    assert table[0] == list(CSV_COLUMNS)
    assert len(table) == 2
    [when, who, who_name, kind, action, target, detail] = table[1]
    assert (who, who_name, kind, action, target, detail) == (
        str(number),
        person,
        "case",
        "history",
        first,
        "",
    )
    assert datetime.fromisoformat(when).utcoffset() == ZONE.utcoffset(datetime.now())

    # dates: today holds everything, tomorrow nothing; a date that is not one is said
    tomorrow = today + timedelta(days=1)
    await page.goto(f"{console_bot.base}/console/audit?from={today}&to={today}")
    assert len(await _rows(page)) >= 4
    await page.goto(f"{console_bot.base}/console/audit?from={tomorrow}")
    assert await _rows(page) == []
    assert _("Nothing in the log matches these filters.") in await page.inner_text("main")
    await page.goto(f"{console_bot.base}/console/audit?from=yesterday&action=login")
    assert _("Write a date like 2026-03-29.") in await page.inner_text("main")
    assert {row[2] for row in await _rows(page)} == {login}
    assert await page.get_by_label(_("Action")).input_value() == "login"

    # everything, as a file: the header, every row, no parent
    await page.goto(f"{console_bot.base}/console/audit")
    _name, table = await _csv(page, _("Download as CSV"))
    assert table[0] == list(CSV_COLUMNS)
    actions = [(row[3], row[4], row[5]) for row in table[1:]]
    assert ("staff", "login", "") in actions
    assert ("staff", "login link", "") in actions
    assert ("staff", "export audit", "") in actions  # the first download, before this one
    assert ("case", "history", first) in actions and ("case", "history", second) in actions
    exported = [row for row in table[1:] if row[4] == "export audit"]
    assert exported[0][6] == f"alias={first.lower()}"  # the filters it was made with
    page_html = await page.content()
    csv_text = "\n".join(",".join(row) for row in table)
    for parent in parents:
        for secret in (str(parent.id), parent.user["first_name"], parent.user["username"]):
            assert secret not in csv_text and secret not in page_html

    # the download was audited; viewing the page is not
    await page.reload()
    assert _("Downloaded the audit log") in [row[2] for row in await _rows(page)]
    logged = await console_bot.query("select action from staff_audit order by id")
    assert [a for (a,) in logged] == ["login link", "login", "export audit", "export audit"]


async def test_the_csv_is_a_utf8_attachment(console_bot: ConsoleBot, page: Page) -> None:
    await console_bot.log_in(page)
    response = await page.context.request.get(f"{console_bot.base}/console/audit.csv")
    assert response.status == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    today = datetime.now(ZONE).date().isoformat()
    assert response.headers["content-disposition"] == f'attachment; filename="audit-{today}.csv"'
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO((await response.text()).removeprefix("\ufeff"))))
    assert rows[0] == list(CSV_COLUMNS)
    assert {row[4] for row in rows[1:]} == {"login link", "login"}


async def test_without_a_session_there_is_no_log(console_bot: ConsoleBot, page: Page) -> None:
    for path in ("/console/audit", "/console/audit.csv"):
        response = await page.context.request.get(f"{console_bot.base}{path}")
        assert response.status == 401, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "Sanne" not in await response.text()

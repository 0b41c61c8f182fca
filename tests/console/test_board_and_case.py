"""The board and a case's page in a real browser: a parent's question appears, its page
explains who could take it, a coordinator gives it across languages once confirmed, and
closes it with an outcome. Nothing of the parent's Telegram identity is ever on a page."""

from __future__ import annotations

import json
import random
import string
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Page

from bot.services import case_history as history
from bot.services import staff_words as words
from console.words import ConsoleCatalogs
from storage import Database
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS
from tests.botapi import FakeUser
from tests.console.conftest import PHONE, VAULT, ConsoleBot, screenshot
from tests.handlers.test_handoff_over_http import ask_to_talk

NL = CATALOGS.translator("nl")  # the coordinator has not chosen a language: Dutch
W = ConsoleCatalogs(CATALOGS, ZoneInfo("Europe/Amsterdam")).for_code("nl")


def a_parent(console_bot: ConsoleBot) -> tuple[FakeUser, list[str]]:
    """An Arabic-speaking parent with a random id, first name and username: what must never
    show on a page."""
    rng = random.Random()
    first_name = "".join(rng.choice(string.ascii_letters) for _ in range(9))
    username = "u" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))
    parent_id = rng.randrange(1_000_000_000, 9_999_999_999)
    parent = console_bot.api.user(parent_id, first_name, username=username, language_code="ar")
    return parent, [str(parent_id), first_name, username]


async def nothing_of(page: Page, secrets: list[str]) -> None:
    html = await page.content()
    for secret in secrets:
        assert secret not in html


async def fits_a_phone(page: Page) -> None:
    await page.set_viewport_size(PHONE)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_a_question_on_the_board_its_page_a_reassignment_and_closing(
    console_bot: ConsoleBot, page: Page
) -> None:
    amina = console_bot.api.user(9101, "Amina", language_code="nl")
    pieter = console_bot.api.user(9102, "Pieter", language_code="nl")
    await console_bot.invite(amina, Profile("vp", "Amina El Idrissi", ("ar", "nl"), "f"))
    await console_bot.invite(pieter, Profile("vp", "Pieter Jansen", ("nl",), "m"))
    parent, secrets = a_parent(console_bot)
    await ask_to_talk(parent, "ar")
    [offer] = await amina.wait_for(1)
    [(alias, vp_id)] = await console_bot.query("SELECT alias, vp_id FROM cases")
    assert alias in offer["text"] and vp_id is None
    ids = dict(await console_bot.query("SELECT name, id FROM person"))
    amina_number, pieter_id = ids["Amina El Idrissi"], ids["Pieter Jansen"]

    # the board: the question under "offered", with its alias, language and topic
    await console_bot.log_in(page)
    offered = page.locator("section[aria-labelledby='group-offered']")
    await offered.get_by_role("link", name=alias).wait_for()
    card = await offered.locator("article", has_text=alias).inner_text()
    assert words.language(NL, "ar") in card and words.topic(NL, "school") in card
    heading = await offered.get_by_role("heading", level=2).inner_text()
    assert heading.endswith("(1)")
    assert await page.locator("meta[http-equiv='refresh']").count() == 1
    await nothing_of(page, secrets)
    await fits_a_phone(page)

    # its page: the head, the history in words, and why each VP would or would not get it
    await offered.get_by_role("link", name=alias).click()
    await page.wait_for_url(f"{console_bot.base}/console/cases/{alias}")
    assert alias in await page.get_by_role("heading", level=1).inner_text()
    text = await page.inner_text("main")
    opened = NL.gettext("Opened: {language}, {urgency}.").format(
        language=words.language(NL, "ar"), urgency=words.urgency(NL, False)
    )
    assert opened in text and f"VP {amina_number} (Amina)" in text  # offered to her, in the history
    row = await page.get_by_role("row", name="Pieter Jansen").inner_text()
    assert history.skipped(NL, {"why": "language", "language": "ar"}) in row
    row = await page.get_by_role("row", name="Amina El Idrissi").inner_text()
    assert W.gettext("offered, no answer yet") in row
    await nothing_of(page, secrets)
    await fits_a_phone(page)
    await screenshot(page, "case")
    [(looks,)] = await console_bot.query(
        "SELECT count(*) FROM case_access WHERE action = 'console view'"
    )
    assert looks == 1

    # to Pieter, who does not speak Arabic: first the question, then the case is his
    await page.get_by_label(W.gettext("Vertrouwenspersoon")).select_option(str(pieter_id))
    await page.get_by_role("button", name=W.gettext("Give the case")).click()
    confirm = W.gettext("Yes, give it to {name}").format(name="Pieter Jansen")
    await page.get_by_role("button", name=confirm).wait_for()
    warning = await page.locator(".warning").inner_text()
    assert "Pieter Jansen" in warning and words.language(NL, "ar") in warning
    assert "/duo" in warning and "Amina El Idrissi" in warning  # who does speak it
    assert await page.get_by_role("link", name=W.gettext("Cancel")).count() == 1
    await nothing_of(page, secrets)
    await fits_a_phone(page)
    await screenshot(page, "case-confirm")
    [(vp_id,)] = await console_bot.query("SELECT vp_id FROM cases")
    assert vp_id is None  # nothing changed before the confirmation
    await page.get_by_role("button", name=confirm).click()
    await page.wait_for_url(f"{console_bot.base}/console/cases/{alias}?done=assigned")
    given = NL.gettext("A coordinator gave you {alias}.").format(alias=alias)
    [gift] = await pieter.wait_for(1, predicate=lambda m: given in m.get("text", ""))
    assert gift
    [(vp_id, status)] = await console_bot.query("SELECT vp_id, status FROM cases")
    assert (vp_id, status) == (pieter_id, "accepted")
    done = W.gettext("{alias} is now with {name}.").format(alias=alias, name="Pieter Jansen")
    assert done in await page.inner_text("main")
    [(target, detail)] = await console_bot.query(
        "SELECT target, detail FROM staff_audit WHERE action = 'reassign'"
    )
    assert (target, detail) == (alias, f"vp {pieter_id}")

    # closing with an outcome: the case closes and leaves the board
    stale = await page.context.new_page()  # the same page, open in another tab
    await stale.goto(page.url)
    await page.get_by_label(W.gettext("Outcome")).select_option("helped")
    await page.get_by_role("button", name=W.gettext("Close the case")).click()
    await page.wait_for_url(f"{console_bot.base}/console/cases/{alias}?done=closed")
    [(status, outcome)] = await console_bot.query("SELECT status, outcome FROM cases")
    assert (status, outcome) == ("closed", "helped")
    text = await page.inner_text("main")
    assert words.state(NL, "closed") in text and words.outcome(NL, "helped") in text
    assert await page.get_by_role("button", name=W.gettext("Close the case")).count() == 0
    closed_by = NL.gettext("{alias} has been closed by {name}.").format(
        alias=alias, name="Sanne de Vries"
    )
    await pieter.wait_for(1, predicate=lambda m: closed_by in m.get("text", ""))
    # the other tab's form is stale now: it says so and changes nothing
    await stale.get_by_label(W.gettext("Outcome")).select_option("no_contact")
    await stale.get_by_role("button", name=W.gettext("Close the case")).click()
    await stale.get_by_role("alert").wait_for()
    said = await stale.get_by_role("alert").inner_text()
    assert said == W.gettext("This case was closed meanwhile. Nothing was changed.")
    [(outcome,)] = await console_bot.query("SELECT outcome FROM cases")
    assert outcome == "helped"
    await page.get_by_role("link", name=W.gettext("Board"), exact=True).click()
    await page.wait_for_url(f"{console_bot.base}/console/")
    assert await page.get_by_role("link", name=alias).count() == 0
    empty = W.gettext(
        "No open cases right now: nobody is waiting. When a parent asks for a "
        "vertrouwenspersoon, their case appears here."
    )
    assert empty in await page.inner_text("main")
    await nothing_of(page, secrets)


async def test_an_unknown_case_is_not_found(console_bot: ConsoleBot, page: Page) -> None:
    await console_bot.log_in(page)
    response = await page.goto(f"{console_bot.base}/console/cases/ZZZZ")
    assert response is not None and response.status == 404
    assert W.gettext("There is no such case.") in await page.inner_text("h1")


async def test_urgent_clocks_and_breaches_on_the_board(console_bot: ConsoleBot, page: Page) -> None:
    """Cases opened hours ago (as storage opens them: no ladder runs): an urgent one with 8
    hours left, one whose deadline was missed, and one that is not urgent."""
    now = datetime.now(UTC)
    database = Database(console_bot.database_url)
    aliases, ids = {}, {}
    try:
        async with database.transaction() as uow:
            for key, hours, urgent in (("a", 40, True), ("b", 50, True), ("c", 3, False)):
                parent = await uow.parents.get_or_create("telegram", key * 64, VAULT.seal(7), now)
                case = await uow.cases.open(
                    parent_id=parent.id,
                    topic="safety",
                    language="so",
                    urgent=urgent,
                    gender_pref="",
                    sealed_answers=VAULT.seal(json.dumps({})),
                    now=now - timedelta(hours=hours),
                )
                aliases[key], ids[key] = case.alias, case.id
            await uow.cases.breach(ids["b"], now - timedelta(hours=2))
    finally:
        await database.dispose()
    await console_bot.log_in(page)
    waiting = page.locator("section[aria-labelledby='group-waiting']")
    cards = await waiting.locator("article h3").all_inner_texts()
    assert cards == [aliases["b"], aliases["a"], aliases["c"]]  # urgent first, oldest first
    soon = await waiting.locator("article", has_text=aliases["a"]).locator(".soon").inner_text()
    assert W.span(timedelta(hours=8)) in soon
    late = waiting.locator("article", has_text=aliases["b"]).locator(".late")
    assert W.span(timedelta(hours=2)) in await late.inner_text()
    calm = await waiting.locator("article", has_text=aliases["c"]).inner_text()
    assert W.gettext("Waiting {span}").format(span=W.span(timedelta(hours=3))) in calm
    assert words.topic(NL, "safety") in calm and words.language(NL, "so") in calm
    breaches = page.locator("section[aria-labelledby='breaches']")
    assert await breaches.locator("article h3").all_inner_texts() == [aliases["b"]]
    assert "(3)" in await waiting.get_by_role("heading", level=2).inner_text()
    await fits_a_phone(page)
    await screenshot(page, "board")


async def test_closing_an_urgent_case_before_contact_gives_it_back(
    console_bot: ConsoleBot, page: Page
) -> None:
    amina = console_bot.api.user(9201, "Amina", language_code="nl")
    await console_bot.invite(amina, Profile("vp", "Amina El Idrissi", ("ar",), "f"))
    parent = console_bot.api.user(9202, language_code="ar")
    now = datetime.now(UTC)
    database = Database(console_bot.database_url)
    try:
        async with database.transaction() as uow:
            [vp] = await uow.people.vps()
            parent_row = await uow.parents.get_or_create(
                "telegram",
                VAULT.subject_hash("telegram", parent.id),
                VAULT.seal(parent.id),
                now,
            )
            case = await uow.cases.open(
                parent_id=parent_row.id,
                topic="safety",
                language="ar",
                urgent=True,
                gender_pref="",
                sealed_answers=VAULT.seal(json.dumps({})),
                now=now - timedelta(hours=5),
            )
            await uow.cases.assign_by_hand(case.id, vp.id, now)  # accepted, nobody wrote yet
    finally:
        await database.dispose()
    await console_bot.log_in(page)
    await page.goto(f"{console_bot.base}/console/cases/{case.alias}")
    warning = W.gettext(
        "This case is urgent and nobody has been in contact with the parent yet: closing it "
        "gives it back to the others, and its 48-hour clock runs on."
    )
    assert warning in await page.inner_text("main")
    await page.get_by_label(W.gettext("Outcome")).select_option("helped")
    await page.get_by_role("button", name=W.gettext("Close the case")).click()
    await page.wait_for_url(f"{console_bot.base}/console/cases/{case.alias}?done=given-back")
    said = W.gettext(
        "{alias} is urgent and nobody has been in contact with the parent yet, so it stays "
        "open: it went back to the others and its 48-hour clock runs on."
    ).format(alias=case.alias)
    assert said in await page.get_by_role("status").inner_text()
    [(status, vp_id, closed_at)] = await console_bot.query(
        "SELECT status, vp_id, closed_at FROM cases"
    )
    assert status in ("waiting", "offered") and vp_id is None and closed_at is None
    stays = NL.gettext(
        "{alias} is urgent and nobody has been in contact with the parent yet, so it stays "
        "open: it goes back to the others and its 48-hour clock runs on. Thank you."
    ).format(alias=case.alias)
    await amina.wait_for(1, predicate=lambda m: m.get("text") == stays)
    [(detail,)] = await console_bot.query("SELECT detail FROM staff_audit WHERE action = 'close'")
    assert detail == "helped, given back"

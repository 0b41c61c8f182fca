"""The flows pages over the real bot: a coordinator opens ask.yaml (its diagram drawn by the
vendored Mermaid under the page's policy), breaks it and sees the error at its line and node,
fixes it and changes the first question, tries the draft in the chat simulator in Arabic and
in Dutch (no database writes), publishes it, and a parent then reads the new question; the
history shows the change and rolls it back, and the next parent reads the old one. A form left
open while someone else published is refused rather than undoing their version."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Locator, Page, expect

from bot.services import staff_words
from bot.services.published_flows import KIND
from bot.settings import DEFAULT_FLOWS_DIR
from console.app import DIAGRAM_POLICY, HEADERS
from console.chat_simulator import MAX_SAID, read_said
from console.flow_diagram import mermaid, quoted
from console.flow_versions import diff
from console.words import ConsoleCatalogs
from flows.loader import parse_flow
from flows.model import Flow
from flows.problems import Problem
from tests.bot.services.test_cases import CATALOGS
from tests.console.conftest import PHONE, ConsoleBot, screenshot
from tests.journeys import press_index

WORDS = ConsoleCatalogs(CATALOGS, ZoneInfo("Europe/Amsterdam")).for_code("nl")
_ = WORDS.gettext
FILE = "ask.yaml"
ORIGINAL = (DEFAULT_FLOWS_DIR / FILE).read_text(encoding="utf-8")
FIRST = "Waar gaat je vraag over?"
CHANGED = "Waar gaat jouw vraag over?"  # a small edit: its translations are kept, fuzzy
ARABIC_FIRST = "بماذا يتعلق سؤالكم؟"
ARABIC_SCHOOL = "المدرسة"
ARABIC = staff_words.language(WORDS.shared, "ar")  # the language's name, in Dutch
# The question node's answer now leads to a node that does not exist.
BROKEN = ORIGINAL.replace(
    "      goto: preference\n    other: question_again\n    no_response:",
    "      goto: nowhere\n    other: question_again\n    no_response:",
)
UNTOUCHED = ("conversation", "cases", "parent", "flow_version", "outbox_message", "published")


async def versions(bot: ConsoleBot) -> list[tuple[int, str, int | None, str]]:
    rows = await bot.query(
        "SELECT id, source, person_id, content FROM published "
        f"WHERE kind = '{KIND}' AND name = '{FILE}' ORDER BY id"
    )
    return [(int(row[0]), str(row[1]), row[2], str(row[3])) for row in rows]


async def counts(bot: ConsoleBot) -> dict[str, int]:
    found = {}
    for table in UNTOUCHED:
        [(count,)] = await bot.query(f"SELECT count(*) FROM {table}")
        found[table] = int(count)
    return found


async def first_question(bot: ConsoleBot, user_id: int) -> str:
    """What a new Dutch parent reads when they choose to ask a question."""
    parent = bot.api.user(user_id, "Ouder", language_code="nl")
    await parent.send_text("/start")
    await parent.wait_for(1)
    await parent.press("lang:nl")
    await parent.wait_for(3)  # the short welcome: hello (2), menu
    await press_index(parent, 0)  # ask a question
    [question] = await parent.wait_for(1)
    return str(question.get("text", ""))


async def fits_a_phone(page: Page) -> None:
    """The page as it is now (after a POST, which the page walker cannot reach), on a phone."""
    size = page.viewport_size
    await page.set_viewport_size(PHONE)
    try:
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (page.url, width)
    finally:
        if size is not None:
            await page.set_viewport_size(size)


def ask_flow() -> Flow:
    flow, problems = parse_flow(ORIGINAL, FILE)
    assert flow is not None and problems == []
    return flow


def editor(page: Page) -> Locator:
    return page.get_by_label(_("The flow in YAML"))


# --- without a browser -------------------------------------------------------------------


def test_the_diagram_source_escapes_what_mermaid_would_read() -> None:
    assert quoted('say "hi" <b>#1</b> & `x`', 60) == (
        '"say #quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt; #amp; #96;x#96;"'
    )
    assert quoted("een\nlange   zin", 8) == '"een lan…"'
    flow, problems = parse_flow(BROKEN, FILE)
    assert flow is not None and problems == []
    source = mermaid(flow, WORDS)
    assert source.startswith("flowchart TD\n")
    assert "nowhere" in source and ":::missing" in source  # the error shows in the diagram
    assert "flow information" in source  # start_flow: another flow's box


def test_the_simulator_reads_back_only_its_own_fields() -> None:
    said = read_said(["pick:3", "pick:x", "pick:123", "text:hallo", "text:", "voice:", "nope:1"])
    assert [s.field for s in said] == ["pick:3", "text:hallo", "voice:"]
    assert len(read_said(["wait:"] * (MAX_SAID + 5))) == MAX_SAID


def test_the_diff_shows_the_changed_lines_with_a_little_around_them() -> None:
    changed = diff(ORIGINAL, ORIGINAL.replace(FIRST, CHANGED))
    assert [d.kind for d in changed if d.kind in ("removed", "added")] == ["removed", "added"]
    assert [d.text.strip() for d in changed if d.kind == "removed"] == [f'- "{FIRST}"']
    assert changed[0].kind == "gap" and changed[-1].kind == "gap"  # the rest left out
    assert diff(ORIGINAL, ORIGINAL) == []


# --- in the browser ----------------------------------------------------------------------


async def test_a_coordinator_breaks_fixes_tries_publishes_and_rolls_back_a_flow(
    console_bot: ConsoleBot, page: Page
) -> None:
    core = console_bot.telegram.core
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    [(first, source, by, _content)] = await versions(console_bot)
    assert (source, by) == ("files", None)
    [(sanne,)] = await console_bot.query("SELECT id FROM person WHERE name = 'Sanne de Vries'")

    # the index: each flow with its version, who published it, its translations
    await console_bot.log_in(page)
    await page.get_by_role("link", name=_("Flows"), exact=True).click()
    await page.wait_for_url(f"{console_bot.base}/console/flows")
    card = page.locator("li.card").filter(has=page.get_by_role("link", name=FILE, exact=True))
    await expect(card).to_contain_text(_("from the files"))
    await expect(card.locator("dd").first).to_have_text(str(first))
    texts = len(dict.fromkeys(context for context, _text in ask_flow().texts()))
    arabic = card.locator("ul.coverage li").filter(has_text=ARABIC)
    await expect(arabic).to_contain_text(_("{done} of {total}").format(done=texts, total=texts))
    await screenshot(page, "flows")

    # the flow: Mermaid draws the diagram; the policy allows its styles and nothing else
    await card.get_by_role("link", name=FILE, exact=True).click()
    await page.wait_for_url(f"{console_bot.base}/console/flows/{FILE}")
    diagram = page.locator(".diagram svg")
    await expect(diagram).to_have_count(1)
    await expect(diagram).to_contain_text("what_next")
    await expect(editor(page)).to_have_value(ORIGINAL)
    await screenshot(page, "flow")

    # broken: the error at its line and node, the draft kept, the missing node in the diagram
    await editor(page).fill(BROKEN)
    await page.get_by_role("button", name=_("Check"), exact=True).click()
    problem = page.locator("ol.problems li").filter(has_text="'nowhere'")
    await expect(problem).to_contain_text(_("node {node}").format(node="question"))
    line = BROKEN.splitlines().index("      goto: nowhere") + 1  # the exit, not its node
    link = problem.get_by_role("link", name=_("line {n}").format(n=line), exact=True)
    await expect(link).to_have_attribute("data-line", str(line))
    await expect(problem.locator("code.quote")).to_have_text("goto: nowhere")
    await expect(editor(page)).to_have_value(BROKEN)
    await expect(editor(page)).to_have_attribute("aria-invalid", "true")
    await expect(diagram).to_contain_text("nowhere")  # drawn: the page's script runs
    await link.click()
    selected = await page.evaluate(
        "() => { const e = document.getElementById('flow-yaml');"
        " return e.value.slice(e.selectionStart, e.selectionEnd); }"
    )
    assert selected == "      goto: nowhere"
    await fits_a_phone(page)

    # a broken draft cannot be tried, nor published
    await page.get_by_role("button", name=_("Try"), exact=True).click()
    await expect(page.locator("p.warning")).to_have_text(
        _("The draft has errors, so it cannot be tried. Fix these:")
    )
    await expect(page.locator("ol.chat")).to_have_count(0)
    await expect(problem).to_have_count(1)
    await page.get_by_role("button", name=_("Publish"), exact=True).click()
    await expect(page.locator("p.warning")).to_have_text(
        _("Nothing was published: the draft has errors. Each is shown at its line below.")
    )
    await expect(problem.get_by_role("link", name=_("line {n}").format(n=line))).to_be_visible()
    await expect(editor(page)).to_have_value(BROKEN)
    assert len(await versions(console_bot)) == 1

    # fixed, with a new first question: tried in Arabic (the old translation until a
    # translator looks, right to left), then in Dutch (the new text); nothing is written
    before = await counts(console_bot)
    fixed = ORIGINAL.replace(FIRST, CHANGED)
    await editor(page).fill(fixed)
    await page.get_by_label(_("Try in")).select_option("ar")
    await page.get_by_role("button", name=_("Try"), exact=True).click()
    said = page.locator("ol.chat li.from-bot")
    await expect(said.first).to_contain_text(ARABIC_FIRST)
    await expect(said.first).to_have_attribute("dir", "rtl")
    await expect(said.first).to_have_attribute("lang", "ar")
    await page.locator(".keyboard button").nth(1).click()  # school
    await expect(page.locator("ol.chat li.from-parent")).to_have_text(re.compile(ARABIC_SCHOOL))
    await expect(said).to_have_count(3)  # the question's two messages
    await expect(page.locator("ol.chat li.effect")).to_have_count(1)  # no answer: later
    await expect(editor(page)).to_have_value(fixed)
    await expect(diagram).to_have_count(1)  # drawn, and the editor's lines numbered
    await screenshot(page, "flow-try")
    await fits_a_phone(page)

    await page.get_by_label(_("Try in")).select_option("nl")
    await page.get_by_role("button", name=_("Try"), exact=True).click()
    await expect(said.first).to_have_text(re.compile(re.escape(CHANGED)))
    await expect(said.first).to_have_attribute("dir", "ltr")
    await page.locator(".keyboard button").nth(1).click()  # school
    await page.get_by_label(_("Write as the parent")).fill("Mijn zoon wil niet naar school.")
    await page.get_by_label(_("Write as the parent")).press("Enter")
    await expect(page.locator("ol.chat li.from-parent").nth(1)).to_contain_text(
        "Mijn zoon wil niet naar school."
    )
    await page.get_by_role("button", name="Maakt niet uit").click()
    await page.get_by_role("button", name="Praten met iemand").click()
    await page.get_by_role("button", name="Ja, geef door").click()
    await expect(page.locator("ol.chat li.effect").last).to_have_text(
        _("Here the question is passed to a vertrouwenspersoon.")
    )
    await expect(page.get_by_text(_("The conversation has ended."))).to_be_visible()
    assert await counts(console_bot) == before
    assert core.published_flows.served[FILE] == ORIGINAL

    # published: live at once, audited; a parent reads the new question
    await page.get_by_role("button", name=_("Publish"), exact=True).click()
    await page.wait_for_url(re.compile(rf"/console/flows/{FILE}\?published=\d+$"))
    [_first, (second, source, by, content)] = await versions(console_bot)
    assert (source, by, content) == ("console", sanne, fixed)
    await expect(page.locator(".notice")).to_contain_text(str(second))
    assert core.published_flows.served[FILE] == fixed
    audited = await console_bot.query(
        "SELECT person_id, action, target FROM staff_audit WHERE action LIKE '%flow'"
    )
    assert audited == [(sanne, "publish flow", f"{FILE} version {second}")]
    assert await first_question(console_bot, 8101) == CHANGED
    await page.goto(f"{console_bot.base}/console/flows")  # the edited text needs a check
    await expect(arabic).to_contain_text(_("{done} of {total}").format(done=texts - 1, total=texts))
    await page.goto(f"{console_bot.base}/console/flows/{FILE}")

    # the history: the new version's change, then the old version published again
    row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name=_("Version {n}").format(n=second), exact=True)
    )
    await expect(row).to_contain_text("Sanne de Vries")
    await expect(row).to_contain_text(_("in use"))
    await row.get_by_role("link").click()
    await page.wait_for_url(f"{console_bot.base}/console/flows/{FILE}/versions/{second}")
    await expect(page.locator("ol.diff .removed")).to_have_text(re.compile(re.escape(FIRST)))
    await expect(page.locator("ol.diff .added")).to_have_text(re.compile(re.escape(CHANGED)))
    await expect(page.get_by_role("button")).to_have_count(1)  # logging out: in use already
    await screenshot(page, "flow-version")
    await fits_a_phone(page)

    await page.goto(f"{console_bot.base}/console/flows/{FILE}/versions/{first}")
    await page.get_by_role(
        "button", name=_("Roll back: publish version {n} again").format(n=first)
    ).click()
    await page.wait_for_url(re.compile(rf"\?published=\d+&from={first}$"))
    [_first, _second, (third, source, by, content)] = await versions(console_bot)
    assert (source, by, content) == ("console", sanne, ORIGINAL)
    await expect(page.locator(".notice")).to_contain_text(str(third))
    await expect(editor(page)).to_have_value(ORIGINAL)
    assert core.published_flows.served[FILE] == ORIGINAL
    assert await first_question(console_bot, 8102) == FIRST
    audited = await console_bot.query(
        "SELECT action, target, detail FROM staff_audit WHERE action = 'roll back flow'"
    )
    assert audited == [("roll back flow", f"{FILE} version {third}", f"version {first} again")]
    assert blocked == []


async def test_the_flow_pages_policy_allows_mermaids_styles_only(
    console_bot: ConsoleBot, page: Page
) -> None:
    await console_bot.log_in(page)
    response = await page.goto(f"{console_bot.base}/console/flows/{FILE}")
    assert response is not None
    policy = await response.header_value("Content-Security-Policy")
    assert policy == DIAGRAM_POLICY
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    response = await page.goto(f"{console_bot.base}/console/flows")
    assert response is not None
    assert (
        await response.header_value("Content-Security-Policy")
        == (HEADERS["Content-Security-Policy"])
    )
    script = await page.request.get(f"{console_bot.base}/console/static/vendor/mermaid.min.js")
    assert script.ok and "javascript" in script.headers["content-type"]
    assert script.headers["x-content-type-options"] == "nosniff"


async def test_without_javascript_the_diagram_is_its_source(
    console_bot: ConsoleBot, page: Page
) -> None:
    context = await page.context.browser.new_context(  # type: ignore[union-attr]
        java_script_enabled=False, locale="nl-NL"
    )
    try:
        plain = await context.new_page()
        await console_bot.log_in(plain)
        await plain.goto(f"{console_bot.base}/console/flows/{FILE}")
        source = plain.locator("pre.mermaid")
        await expect(source).to_contain_text("flowchart TD")
        await expect(source).to_contain_text("what_next")
        await expect(plain.locator(".diagram svg")).to_have_count(0)
        await plain.get_by_label(_("Try in")).select_option("nl")
        await plain.get_by_role("button", name=_("Try"), exact=True).click()
        await expect(plain.locator("ol.chat li.from-bot").first).to_have_text(
            re.compile(re.escape(FIRST))
        )
    finally:
        await context.close()


async def test_a_form_left_open_while_someone_else_published_is_refused(
    console_bot: ConsoleBot, page: Page
) -> None:
    core = console_bot.telegram.core
    [(sanne,)] = await console_bot.query("SELECT id FROM person WHERE name = 'Sanne de Vries'")
    await console_bot.log_in(page)
    await page.goto(f"{console_bot.base}/console/flows/{FILE}")
    mine = ORIGINAL.replace(FIRST, CHANGED)
    await editor(page).fill(mine)

    # meanwhile another coordinator publishes another change
    theirs = ORIGINAL.replace("Wat wil je dat we met je vraag doen?", "Wat zullen we doen?")
    draft = await core.published_flows.prepare({FILE: theirs})
    async with core.database.transaction() as uow:
        other = await core.published_flows.publish(uow, draft, sanne, core.clock.now())
    [other_version] = other.versions.values()

    await page.get_by_role("button", name=_("Publish"), exact=True).click()
    await expect(page.locator("p.warning")).to_contain_text(str(other_version))
    await expect(editor(page)).to_have_value(mine)
    assert [v[3] for v in await versions(console_bot)] == [ORIGINAL, theirs]
    assert core.published_flows.served[FILE] == theirs

    # published again, knowingly: the draft is now based on their version
    await page.get_by_role("button", name=_("Publish"), exact=True).click()
    await page.wait_for_url(re.compile(rf"/console/flows/{FILE}\?published=\d+$"))
    assert [v[3] for v in await versions(console_bot)] == [ORIGINAL, theirs, mine]

    # publishing what is in use makes no new version
    await page.get_by_role("button", name=_("Publish"), exact=True).click()
    await page.wait_for_url(f"{console_bot.base}/console/flows/{FILE}?unchanged=1")
    assert len(await versions(console_bot)) == 3

    # a roll back left open while someone published is refused too
    [first, *_rest] = [v[0] for v in await versions(console_bot)]
    await page.goto(f"{console_bot.base}/console/flows/{FILE}/versions/{first}")
    draft = await core.published_flows.prepare({FILE: theirs})
    async with core.database.transaction() as uow:
        await core.published_flows.publish(uow, draft, sanne, core.clock.now())
    await page.get_by_role(
        "button", name=_("Roll back: publish version {n} again").format(n=first)
    ).click()
    await expect(page.locator(".warning")).to_be_visible()
    assert len(await versions(console_bot)) == 4
    assert core.published_flows.served[FILE] == theirs

    # no such flow, no such version
    for path in ("/console/flows/nothing.yaml", f"/console/flows/{FILE}/versions/999999"):
        response = await page.goto(console_bot.base + path)
        assert response is not None and response.status == 404, path


def test_mermaid_is_vendored_with_its_licence() -> None:
    vendor = Path(__file__).resolve().parents[2] / "console" / "static" / "vendor"
    assert (vendor / "mermaid.min.js").stat().st_size > 1_000_000
    assert "MIT" in (vendor / "mermaid.LICENSE").read_text(encoding="utf-8")


async def test_a_changed_file_on_the_server_that_was_not_published_is_shown(
    console_bot: ConsoleBot, page: Page
) -> None:
    # What the watcher keeps when someone saved a broken ask.yaml on the server.
    refused = Problem(FILE, "question", "'ask.goto' goes to a node that does not exist", line=34)
    console_bot.telegram.core.published_flows.problems = [refused]
    await console_bot.log_in(page)
    for path in ("/console/flows", f"/console/flows/{FILE}"):
        await page.goto(console_bot.base + path)
        warning = page.locator(".warning").filter(has_text=refused.message)
        await expect(warning).to_contain_text(_("line {n}").format(n=34))
        await expect(warning).to_contain_text(_("node {node}").format(node="question"))

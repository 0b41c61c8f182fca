"""The flows pages: every flow with its published version, who published it and when, its
problems and its translation coverage; one flow's diagram (drawn by the vendored Mermaid),
its YAML in an editor, and what the coordinator does with a draft: check it (every problem
at its line and node), try it in a chat simulator in any enabled language, publish it; its
history, where a version shows what changed and can be rolled back (console/flow_versions).

Every form sends the whole draft, and every answer puts it back in the editor: nothing typed
is lost. A publish carries the version the draft was based on and is refused when someone
else published meanwhile. The work is done by PublishedFlows; the simulator runs the engine
alone (console/chat_simulator)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from bot.services import staff_words
from bot.services.published_flows import KIND, Draft
from console import flow_versions
from console.app import console_of, page, refused, with_diagram, words_of
from console.chat_simulator import MAX_SAID, Chat, Said, read_said, simulate
from console.flow_diagram import mermaid
from console.flow_versions import (
    FLOWS,
    SHOWN_VERSIONS,
    number_of,
    publish_text,
    stale,
)
from console.guard import Permission, requires
from console.history import Line, lines_of
from console.words import Words
from flows.flowset import SOURCE_LANGUAGE, FlowSet
from flows.limits import MAX_ANSWER_LENGTH, MAX_FILE_BYTES
from flows.loader import parse_flow
from flows.model import Flow
from flows.problems import ERROR, Problem

FILE = r"{file:[A-Za-z0-9_.-]{1,64}}"
MAX_LINE_SHOWN = 120  # characters of a problem's line quoted beside it


# --- what the pages show ---------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """A language's share of a flow's texts translated and checked (not fuzzy)."""

    code: str
    name: str
    done: int
    total: int

    @property
    def source(self) -> bool:
        return self.code == SOURCE_LANGUAGE

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total


def coverage(words: Words, flows: FlowSet, flow: Flow, languages: list[str]) -> list[Coverage]:
    contexts = list(dict.fromkeys(context for context, _ in flow.texts()))
    found = []
    for code in languages:
        table = flows.translations.get(code, {})
        done = len(contexts)
        if code != SOURCE_LANGUAGE:
            done = sum(
                1
                for context in contexts
                if (t := table.get(context)) is not None and t.text and not t.fuzzy
            )
        found.append(Coverage(code, staff_words.language(words.shared, code), done, len(contexts)))
    return found


@dataclass(frozen=True)
class Shown:
    """A problem as the page shows it: the checker's own words (English), its level in the
    coordinator's words, and the line it is at."""

    problem: Problem
    level: str
    quote: str  # the line's text in the editor; "" when unknown

    @property
    def error(self) -> bool:
        return self.problem.level == ERROR


def shown_problems(words: Words, problems: list[Problem], text: str) -> list[Shown]:
    lines = text.splitlines()
    shown = []
    for problem in sorted(problems, key=lambda p: (p.level != ERROR, p.line or 0)):
        quote = ""
        if problem.line and problem.line <= len(lines):
            quote = lines[problem.line - 1].strip()[:MAX_LINE_SHOWN]
        level = words.gettext("Error") if problem.level == ERROR else words.gettext("Warning")
        shown.append(Shown(problem, level, quote))
    return shown


def _flow_in(flows: FlowSet, file: str) -> Flow | None:
    return next((flow for flow in flows.flows.values() if flow.file == file), None)


def _languages(request: web.Request) -> list[tuple[str, str]]:
    words = words_of(request)
    enabled = console_of(request).core.coordinator.current.languages
    return [(code, staff_words.language(words.shared, code)) for code in enabled]


# --- the index -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    file: str
    flow: str
    line: Line
    problems: list[Problem]  # of the version in use
    unpublished: list[Problem]  # why the file on the server was not published
    coverage: list[Coverage]


@requires(Permission.FLOWS)
async def index(request: web.Request) -> web.Response:
    console, words = console_of(request), words_of(request)
    library = console.core.flows
    current, warnings = library.current, list(library.warnings)
    refused_files = list(console.core.published_flows.problems)
    languages = list(console.core.coordinator.current.languages)
    async with console.core.database.transaction() as uow:
        newest = await uow.published.newest_of_each(KIND)
        lines = await lines_of(uow, words, [newest[file] for file in sorted(newest)], -1)
    rows = []
    for line in lines:
        file = line.version.name
        flow = _flow_in(current, file)
        rows.append(
            Row(
                file,
                flow.name if flow else "",
                line,
                [p for p in warnings if p.file == file],
                [p for p in refused_files if p.file == file],
                coverage(words, current, flow, languages) if flow else [],
            )
        )
    return page(request, "flows.html", {"rows": rows})


# --- one flow ----------------------------------------------------------------------------


@dataclass
class Editing:
    """What a form brought, to show again: the draft and the outcome of what was asked."""

    text: str
    based_on: int
    lang: str = ""
    said: list[Said] | None = None
    chat: Chat | None = None
    notice: str = ""
    warning: str = ""
    problems: list[Problem] | None = None  # the draft's, when it was checked or refused


def _file(request: web.Request) -> str:
    return request.match_info["file"]


async def _flow_page(
    request: web.Request,
    file: str,
    editing: Editing | None = None,
    status: int = 200,
    notice: str = "",
) -> web.Response:
    """The flow page; with `editing`, what a form brought (else the version in use)."""
    console, words = console_of(request), words_of(request)
    library = console.core.flows
    async with console.core.database.transaction() as uow:
        newest = await uow.published.newest(KIND, file)
        if newest is None:
            return refused(request, 404, words.gettext("There is no such flow."))
        versions = await uow.published.history(KIND, file, limit=SHOWN_VERSIONS)
        history = await lines_of(uow, words, versions, newest.id)
    editing = editing or Editing(newest.content, newest.id, notice=notice)
    served = _flow_in(library.current, file)
    drawn, of_draft = None, False
    if editing.text != newest.content:  # the draft as far as it reads, errors and all
        drawn = (await asyncio.to_thread(parse_flow, editing.text, file))[0]
        of_draft = drawn is not None
    if drawn is None:
        drawn = served or (await asyncio.to_thread(parse_flow, newest.content, file))[0]
    if editing.problems is not None:
        problems = shown_problems(words, editing.problems, editing.text)
    else:
        warnings = [p for p in library.warnings if p.file == file]
        problems = shown_problems(words, warnings, editing.text)
    languages = _languages(request)
    codes = [code for code, _name in languages]
    lang = editing.lang if editing.lang in codes else words.code if words.code in codes else ""
    response = page(
        request,
        "flow.html",
        {
            "file": file,
            "here": f"{FLOWS}/{file}",
            "newest": history[0] if history and history[0].version.id == newest.id else None,
            "newest_id": newest.id,
            "history": history,
            "editing": editing,
            "checked": editing.problems is not None,
            "problems": [p for p in problems if p.problem.file == file],
            "unpublished": [p for p in console.core.published_flows.problems if p.file == file],
            "elsewhere": [p for p in problems if p.problem.file != file],
            "diagram": mermaid(drawn, words) if drawn else "",
            "of_draft": of_draft,
            "coverage": coverage(words, library.current, served, list(codes)) if served else [],
            "languages": languages,
            "lang": lang or (codes[0] if codes else SOURCE_LANGUAGE),
            "chat": editing.chat,
            "said": editing.said or [],
            "max_answer": MAX_ANSWER_LENGTH,
        },
        status=status,
    )
    return with_diagram(response)


@requires(Permission.FLOWS)
async def flow_page(request: web.Request) -> web.Response:
    words, file, notice = words_of(request), _file(request), ""
    published = number_of(request.query.get("published"))
    earlier = number_of(request.query.get("from"))
    if published > 0 and earlier > 0:
        notice = words.gettext(
            "Version {old} was published again as version {n}. The bot uses it now; every "
            "instance within seconds."
        ).format(old=earlier, n=published)
    elif published > 0:
        notice = words.gettext(
            "Published as version {n}. The bot uses it now; every instance within seconds."
        ).format(n=published)
    elif request.query.get("unchanged"):
        notice = words.gettext("The text is the same as the version in use: nothing was published.")
    return await _flow_page(request, file, notice=notice)


async def _editing(request: web.Request) -> Editing | web.Response:
    """The draft and the version it was based on, from the form; a draft longer than any
    flow file may be is refused."""
    form = await request.post()
    text = str(form.get("yaml", "")).replace("\r\n", "\n").replace("\r", "\n")
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        words = words_of(request)
        return refused(request, 413, words.gettext("This text is longer than a flow file may be."))
    lang = str(form.get("lang", ""))[:16]
    return Editing(text, number_of(form.get("based_on")), lang=lang)


async def _check(request: web.Request, editing: Editing) -> Draft:
    return await console_of(request).core.published_flows.prepare({_file(request): editing.text})


@requires(Permission.FLOWS)
async def check(request: web.Request) -> web.Response:
    """Every problem of the draft, each at its line; nothing is published."""
    editing = await _editing(request)
    if isinstance(editing, web.Response):
        return editing
    words = words_of(request)
    draft = await _check(request, editing)
    editing.problems = draft.problems
    here = [p for p in draft.problems if p.file == _file(request)]
    if not draft.problems:
        editing.notice = words.gettext(
            "No problems found. The draft is not published yet: try it, then publish it."
        )
    elif draft.flows is not None and not here:
        editing.notice = words.gettext("No problems found in this flow.")
    return await _flow_page(request, _file(request), editing)


@requires(Permission.FLOWS)
async def try_draft(request: web.Request) -> web.Response:
    """The draft in the chat simulator: the conversation so far replayed, then the press."""
    editing = await _editing(request)
    if isinstance(editing, web.Response):
        return editing
    console, words = console_of(request), words_of(request)
    form = await request.post()
    press = str(form.get("press", ""))
    kept = [str(value) for value in form.getall("said", [])]
    said = [] if press in ("", "start", "restart") else read_said(kept)
    if press.startswith("pick:") or press in ("voice", "wait"):
        said += read_said([press + ("" if ":" in press else ":")])
    elif press == "text":
        typed = str(form.get("typed", "")).strip()
        said += read_said([f"text:{typed}"]) if typed else []
    if len(said) > MAX_SAID:
        said = said[:MAX_SAID]
        editing.warning = words.gettext(
            "The simulator keeps at most {n} answers. Start the conversation again."
        ).format(n=MAX_SAID)
    draft = await _check(request, editing)
    flow = _flow_in(draft.flows, _file(request)) if draft.flows is not None else None
    if draft.flows is None or flow is None:
        editing.problems = draft.problems
        editing.warning = words.gettext("The draft has errors, so it cannot be tried. Fix these:")
        return await _flow_page(request, _file(request), editing, status=400)
    codes = console.core.coordinator.current.languages
    if editing.lang not in codes:
        editing.lang = words.code if words.code in codes else codes[0]
    editing.said = said
    now = console.core.clock.now()
    editing.chat = simulate(draft.flows, flow.name, editing.lang, said, now, words)
    return await _flow_page(request, _file(request), editing)


@requires(Permission.FLOWS)
async def publish(request: web.Request) -> web.Response:
    """The draft published, when it has no errors and nobody published meanwhile."""
    editing = await _editing(request)
    if isinstance(editing, web.Response):
        return editing
    words, file = words_of(request), _file(request)
    detail = f"was version {editing.based_on}"
    newest, outcome = await publish_text(
        request, file, editing.text, editing.based_on, "publish flow", detail
    )
    if newest is None:
        return refused(request, 404, words.gettext("There is no such flow."))
    if outcome is None:  # someone published meanwhile: what they did must not be undone unseen
        editing.warning, editing.based_on = stale(words, file, newest.id), newest.id
        return await _flow_page(request, file, editing, status=409)
    if outcome.errors:
        editing.problems = outcome.problems
        editing.warning = words.gettext(
            "Nothing was published: the draft has errors. Each is shown at its line below."
        )
        return await _flow_page(request, file, editing, status=400)
    if not outcome.versions:
        raise web.HTTPSeeOther(f"{FLOWS}/{file}?unchanged=1")
    raise web.HTTPSeeOther(f"{FLOWS}/{file}?published={outcome.versions[file]}")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/flows", index)
    router.add_get(f"/flows/{FILE}", flow_page)
    router.add_post(f"/flows/{FILE}/check", check)
    router.add_post(f"/flows/{FILE}/try", try_draft)
    router.add_post(f"/flows/{FILE}/publish", publish)
    router.add_get(rf"/flows/{FILE}/versions/{{id:\d{{1,9}}}}", flow_versions.version_page)
    router.add_post(rf"/flows/{FILE}/versions/{{id:\d{{1,9}}}}/roll-back", flow_versions.roll_back)

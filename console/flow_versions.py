"""A flow's published versions: the history as the flow page lists it, one version with what
changed since the one before it (a line diff, readable on a phone), and rolling back, which
publishes that version's text again as a new version so the history keeps what was undone.
The work is done by PublishedFlows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from urllib.parse import urlencode

from aiohttp import web

from bot.services.published_flows import KIND, Published
from console.app import PREFIX, actor_of, console_of, page, refused, words_of
from console.guard import Permission, requires
from console.history import lines_of
from console.words import Words
from flows.problems import Problem
from storage.published import Version

FLOWS = PREFIX + "/flows"
SHOWN_VERSIONS = 20
NUMBER = re.compile(r"[0-9]{1,9}")
CONTEXT_LINES = 3  # unchanged lines shown around a change
MAX_EARLIER = 1000  # versions looked through for the one before (the history is short)
ATTEMPTS = 3  # to publish while other flows are being published


def number_of(value: object) -> int:
    """A version number from a form or an address; -1 when it is none."""
    given = str(value or "")
    return int(given) if NUMBER.fullmatch(given) else -1


async def publish_text(
    request: web.Request, file: str, text: str, based_on: int, action: str, detail: str
) -> tuple[Version | None, Published | None]:
    """`text` published as the new version of `file` and audited, unless someone published
    that file since the version `based_on`: then (the version in use, None). The draft is
    checked in a worker thread first, never inside a transaction; checked again when other
    flows were published meanwhile."""
    console, actor = console_of(request), actor_of(request)
    flows = console.core.published_flows
    newest: Version | None = None
    for _attempt in range(ATTEMPTS):
        draft = await flows.prepare({file: text})
        now = console.core.clock.now()
        async with console.core.database.transaction() as uow:
            newest = await uow.published.newest(KIND, file)
            if newest is None or newest.id != based_on:
                return newest, None
            if not flows.is_current(draft):  # flows or catalogs changed since: check again
                continue
            outcome = await flows.publish(uow, draft, actor.number, now)
            for name, version in outcome.versions.items():
                target = f"{name} version {version}"
                await uow.console.audit(actor.number, action, target, detail, now)
        return newest, outcome
    return newest, Published({}, [Problem(file, None, "other flows keep changing: try again")])


def stale(words: Words, file: str, newest: int) -> str:
    """Why a form left open while someone else published is refused."""
    return words.gettext(
        "Someone else published {file} meanwhile (version {n}), so nothing was published. "
        "Your text is still in the editor: compare it with that version in the history, then "
        "publish again."
    ).format(file=file, n=newest)


# --- what changed ---------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # same, removed, added, gap (unchanged lines left out)
    old: int | None  # line numbers, in the version before and in this one
    new: int | None
    text: str


def diff(before: str, after: str) -> list[DiffLine]:
    """The lines that changed, with a few unchanged ones around each change."""
    old, new = before.splitlines(), after.splitlines()
    shown: list[DiffLine] = []
    if old == new:
        return shown
    end = 0  # where in the version before the shown lines end
    for group in SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(CONTEXT_LINES):
        if shown or group[0][1] > 0:
            shown.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                shown += [
                    DiffLine("same", i1 + k + 1, j1 + k + 1, old[i1 + k]) for k in range(i2 - i1)
                ]
                continue
            shown += [DiffLine("removed", i + 1, None, old[i]) for i in range(i1, i2)]
            shown += [DiffLine("added", None, j + 1, new[j]) for j in range(j1, j2)]
        end = group[-1][2]
    if shown and end < len(old):
        shown.append(DiffLine("gap", None, None, ""))
    return shown


# --- the pages ---------------------------------------------------------------------------


async def _version_page(
    request: web.Request,
    file: str,
    version_id: int,
    *,
    warning: str = "",
    problems: list[Problem] | None = None,
    status: int = 200,
) -> web.Response:
    console, words = console_of(request), words_of(request)
    async with console.core.database.transaction() as uow:
        version = await uow.published.get(version_id)
        newest = await uow.published.newest(KIND, file)
        if version is None or version.kind != KIND or version.name != file or newest is None:
            return refused(request, 404, words.gettext("There is no such version."))
        earlier = await uow.published.history(KIND, file, limit=MAX_EARLIER)
        before = next((v for v in earlier if v.id < version.id), None)
        [line] = await lines_of(uow, words, [version], newest.id)
        before_line = (await lines_of(uow, words, [before], newest.id))[0] if before else None
    return page(
        request,
        "flow_version.html",
        {
            "file": file,
            "line": line,
            "before": before_line,
            "diff": diff(before.content, version.content) if before else [],
            "newest": newest,
            "can_roll_back": version.content != newest.content,
            "warning": warning,
            "problems": problems or [],
        },
        status=status,
    )


@requires(Permission.FLOWS)
async def version_page(request: web.Request) -> web.Response:
    file = request.match_info["file"]
    return await _version_page(request, file, number_of(request.match_info["id"]))


@requires(Permission.FLOWS)
async def roll_back(request: web.Request) -> web.Response:
    """Publish this version's text again; refused when the form is out of date."""
    console, words = console_of(request), words_of(request)
    file, version_id = request.match_info["file"], number_of(request.match_info["id"])
    based_on = number_of((await request.post()).get("based_on"))
    async with console.core.database.transaction() as uow:
        version = await uow.published.get(version_id)
    if version is None or version.kind != KIND or version.name != file:
        return refused(request, 404, words.gettext("There is no such version."))
    detail = f"version {version_id} again"
    newest, outcome = await publish_text(
        request, file, version.content, based_on, "roll back flow", detail
    )
    if newest is None:
        return refused(request, 404, words.gettext("There is no such version."))
    if outcome is None:  # someone published meanwhile: what they did must not be undone unseen
        warning = words.gettext(
            "Someone else published {file} meanwhile (version {n}), so nothing was rolled "
            "back. Look at that version first; then roll back again if you still want to."
        ).format(file=file, n=newest.id)
        return await _version_page(request, file, version_id, warning=warning, status=409)
    if outcome.errors:
        warning = words.gettext(
            "This version no longer fits the other flows, so nothing was published:"
        )
        return await _version_page(
            request, file, version_id, warning=warning, problems=outcome.errors, status=400
        )
    if not outcome.versions:
        raise web.HTTPSeeOther(f"{FLOWS}/{file}?unchanged=1")
    query = urlencode({"published": outcome.versions[file], "from": version_id})
    raise web.HTTPSeeOther(f"{FLOWS}/{file}?{query}")

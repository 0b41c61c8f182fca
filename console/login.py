"""Logging in with the one-time link from the bot, one's own sessions, and logging out.

The link opens a page with a button: the code is used by that POST, never by the GET, so a
chat app's link preview cannot use it up. Failed codes are rate-limited per address."""

from __future__ import annotations

from aiohttp import web
from limits import parse

from console.app import COOKIE, PREFIX, actor_of, console_of, page, refused, words_of
from console.guard import Permission, home, requires

# Per address: a few mistyped or stale links are normal; guessing is not.
FAILED_LOGINS = parse("10/15 minutes")


def _address(request: web.Request) -> str:
    return request.remote or "unknown"


@requires(Permission.PUBLIC)
async def login_page(request: web.Request) -> web.Response:
    code = request.query.get("code", "")[:200]
    return page(request, "login.html", {"code": code})


@requires(Permission.PUBLIC)
async def log_in(request: web.Request) -> web.StreamResponse:
    console, words = console_of(request), words_of(request)
    address = _address(request)
    if not await console.failed_logins.test(FAILED_LOGINS, "console-login", address):
        return refused(
            request, 429, words.gettext("Too many links that did not work. Wait 15 minutes.")
        )
    form = await request.post()
    code = str(form.get("code", ""))[:200]
    browser = request.headers.get("User-Agent", "")[:80]
    async with console.core.database.transaction() as uow:
        opened = await console.access.log_in(uow, code, browser, console.core.clock.now())
    if opened is None:
        await console.failed_logins.hit(FAILED_LOGINS, "console-login", address)
        return refused(
            request,
            403,
            words.gettext(
                "This link has been used or has expired. Send /console to the bot in "
                "Telegram for a new one."
            ),
        )
    session_id, person = opened
    response = web.HTTPSeeOther(PREFIX + home(person))
    response.set_cookie(
        COOKIE,
        session_id,
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=console.secure_cookie,
    )
    raise response


@requires(Permission.OWN_SESSIONS)
async def sessions(request: web.Request) -> web.Response:
    console, actor = console_of(request), actor_of(request)
    async with console.core.database.transaction() as uow:
        mine = await uow.console.sessions_of(actor.number)
    return page(request, "sessions.html", {"sessions": mine})


@requires(Permission.OWN_SESSIONS)
async def end_session(request: web.Request) -> web.StreamResponse:
    """Revoke one of one's own sessions (another browser), or this one: logging out."""
    console, actor = console_of(request), actor_of(request)
    form = await request.post()
    which = str(form.get("session", ""))
    session_id = int(which) if which.isdigit() else actor.session.id
    now = console.core.clock.now()
    async with console.core.database.transaction() as uow:
        ended = await uow.console.end_session(session_id, actor.number, now)
        if ended:
            action = "logout" if session_id == actor.session.id else "revoke session"
            await uow.console.audit(actor.number, action, "", "", now)
    if session_id == actor.session.id:
        response = web.HTTPSeeOther(PREFIX + "/login")
        response.del_cookie(COOKIE, path=PREFIX)
        raise response
    raise web.HTTPSeeOther(PREFIX + "/sessions")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/login", login_page)
    router.add_post("/login", log_in)
    router.add_get("/sessions", sessions)
    router.add_post("/sessions/end", end_session)

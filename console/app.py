"""The console as an aiohttp sub-application under /console: templates, the security headers
on every response, the session and CSRF checks, and the pages' routes."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel import Locale, UnknownLocaleError
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from bot.runtime import Core
from bot.services.console_access import Actor, ConsoleAccess
from console.guard import Handler, Permission, allows, may, needs, requires
from console.words import ConsoleCatalogs, Words
from storage import DatabaseUnavailable

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
COOKIE = "tussenin_console"
PREFIX = "/console"
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
# The one relaxation of HEADERS, for the flow pages only: Mermaid draws a flow's diagram as an
# SVG whose theme is an inline <style>, sized with style attributes, which `style-src 'self'`
# blocks. Only styles: scripts stay 'self', and no other page allows inline styles.
DIAGRAM_POLICY = HEADERS["Content-Security-Policy"].replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
DRAWS_DIAGRAM = web.ResponseKey("console_draws_diagram", bool)
# What /console/static serves, to anyone (no secrets): the style sheet, our scripts, and
# Mermaid as vendored from npm (static/vendor/README.md says which version and how). They
# may be kept by the browser for an hour: Mermaid is 3.5 MB, on a phone too.
STATIC_FILES = ("console.css", "flows.js", "vendor/mermaid.min.js")
STATIC_CACHE = "public, max-age=3600"


@dataclass
class Console:
    """What every page needs: the running bot's parts, and how to wake the outbox sender
    after a change that sends messages."""

    core: Core
    access: ConsoleAccess
    catalogs: ConsoleCatalogs
    wake: Callable[[], None]
    secure_cookie: bool
    # Failed login links per address, in this instance's memory (a restart forgets them).
    failed_logins: MovingWindowRateLimiter


CONSOLE_KEY = web.AppKey("console", Console)
ACTOR_KEY = web.RequestKey("console_actor", Actor)
WORDS_KEY = web.RequestKey("console_words", Words)


def console_of(request: web.Request) -> Console:
    return request.config_dict[CONSOLE_KEY]


def actor_of(request: web.Request) -> Actor:
    actor = request.get(ACTOR_KEY)
    assert isinstance(actor, Actor), "a page that needs a person must say so with @requires"
    return actor


def words_of(request: web.Request) -> Words:
    words = request.get(WORDS_KEY)
    assert isinstance(words, Words)
    return words


def page(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    """A page: the template with what every page shows (the person, their words, the CSRF
    token for its forms, which pages they may open)."""
    actor = request.get(ACTOR_KEY)
    words = words_of(request)
    base = {
        "actor": actor,
        "may": may(actor.person if isinstance(actor, Actor) else None),
        "csrf": actor.csrf if isinstance(actor, Actor) else "",
        "w": words,
        "_": words.gettext,
        "ngettext": words.ngettext,
        "path": request.path,
    }
    return aiohttp_jinja2.render_template(template, request, base | context, status=status)


def with_diagram(response: web.Response) -> web.Response:
    """A page that draws a diagram with Mermaid: it gets DIAGRAM_POLICY."""
    response[DRAWS_DIAGRAM] = True
    return response


def refused(request: web.Request, status: int, message: str) -> web.Response:
    return page(request, "message.html", {"message": message, "status": status}, status=status)


def _browser_words(console: Console, request: web.Request) -> Words:
    """Before login: the browser's language, if the console speaks it."""
    accepted = [
        part.split(";")[0].strip() for part in request.headers.get("Accept-Language", "").split(",")
    ]
    try:
        chosen = Locale.negotiate(
            [a.replace("-", "_") for a in accepted if a], console.catalogs.languages
        )
    except (UnknownLocaleError, ValueError):
        chosen = None
    return console.catalogs.for_code(str(chosen) if chosen else None)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update(HEADERS)
        raise
    response.headers.update(HEADERS)
    if isinstance(response, web.FileResponse):  # the static files, and only they
        response.headers["Cache-Control"] = STATIC_CACHE
    if response.get(DRAWS_DIAGRAM):
        response.headers["Content-Security-Policy"] = DIAGRAM_POLICY
    return response


@web.middleware
async def who_may(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The session from the cookie, then the route's permission, then the CSRF token of a
    POST: each refusal is a page in the person's (or the browser's) language."""
    console = console_of(request)
    request[WORDS_KEY] = _browser_words(console, request)
    unmatched = getattr(request.match_info, "http_exception", None)
    if unmatched is not None:  # no such page (404), or not with this method (405)
        return refused(
            request, unmatched.status, words_of(request).gettext("There is no such page.")
        )
    need = needs(request.match_info.handler)
    if need is Permission.PUBLIC:
        return await handler(request)
    words = words_of(request)
    session_id = request.cookies.get(COOKIE, "")
    actor: Actor | None = None
    try:
        if session_id:
            async with console.core.database.transaction() as uow:
                actor = await console.access.actor(uow, session_id, console.core.clock.now())
    except DatabaseUnavailable:
        return refused(
            request, 503, words.gettext("The database cannot be reached. Try again in a minute.")
        )
    if actor is None:
        response = refused(
            request,
            401,
            words.gettext(
                "You are not logged in, or your session has ended. Send /console to the bot "
                "in Telegram for a new login link."
            ),
        )
        if session_id:
            response.del_cookie(COOKIE, path=PREFIX)
        return response
    request[ACTOR_KEY] = actor
    request[WORDS_KEY] = console.catalogs.for_person(actor.person)
    words = words_of(request)
    if not allows(actor.person, need):
        return refused(request, 403, words.gettext("This page is not part of your work."))
    if request.method == "POST":
        form = await request.post()
        given = str(form.get("csrf", ""))
        if not hmac.compare_digest(given.encode(), actor.csrf.encode()):
            return refused(
                request,
                403,
                words.gettext("This form is out of date. Go back, reload the page and try again."),
            )
    try:
        return await handler(request)
    except DatabaseUnavailable:
        return refused(
            request, 503, words.gettext("The database cannot be reached. Try again in a minute.")
        )


def build_console(core: Core, access: ConsoleAccess, wake: Callable[[], None]) -> web.Application:
    from console import (  # pages
        audit,
        board,
        case,
        flows,
        login,
        partners,
        people,
        settings,
        translations,
    )

    app = web.Application(middlewares=[security_headers, who_may])
    app[CONSOLE_KEY] = Console(
        core=core,
        access=access,
        catalogs=ConsoleCatalogs(core.catalogs, core.settings.timezone),
        wake=wake,
        secure_cookie=core.settings.console_is_https,
        failed_logins=MovingWindowRateLimiter(MemoryStorage()),
    )
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    for module in (login, board, case, people, audit, settings, partners, flows, translations):
        module.add_routes(app.router)
    for name in STATIC_FILES:
        app.router.add_get(f"/static/{name}", _static(HERE / "static" / name))
    return app


def _static(path: Path) -> Handler:
    @requires(Permission.PUBLIC)
    async def serve(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(path)

    return serve

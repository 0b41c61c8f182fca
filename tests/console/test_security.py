"""The console's doors, over real HTTP against the running bot: every route refused without
a session, every POST refused without its CSRF token, used and expired links refused, no
link for parents and VPs, a deactivated coordinator out at once, one coordinator unable to
act as another, failed links limited per address, and the headers on every response."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp
import pytest

from bot.services.console_access import ConsoleAccess
from bot.services.coordinator_settings import Console
from console.app import COOKIE, HEADERS, STATIC_CACHE, build_console
from console.guard import Permission, needs
from storage import Database
from storage.people import Profile
from tests.console.conftest import VAULT, ConsoleBot

SAMPLE = {"alias": "QQQQ", "number": "1", "id": "1", "code": "ar", "file": "ask.yaml"}
CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def console_routes(bot: ConsoleBot) -> list[tuple[str, str, Permission | None]]:
    """Every route the console serves: method, a path to try, and what it needs."""
    core = bot.telegram.core
    app = build_console(core, core.console, lambda: None)
    found = []
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        path = "/console" + route.resource.canonical  # type: ignore[union-attr]
        for name, value in SAMPLE.items():
            path = path.replace("{" + name + "}", value)
        found.append((route.method, path, needs(route.handler)))
    return found


def client() -> aiohttp.ClientSession:
    """A browser-like client: it keeps cookies from 127.0.0.1 too."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def assert_headers(response: aiohttp.ClientResponse) -> None:
    """The security headers; only a static file (no secrets in it) may be cached a while."""
    expected = dict(HEADERS)
    if response.url.path.startswith("/console/static/") and response.status == 200:
        expected["Cache-Control"] = STATIC_CACHE
    for name, value in expected.items():
        assert response.headers.get(name) == value, (response.url, name)


async def logged_in(bot: ConsoleBot, http: aiohttp.ClientSession, user=None) -> str:  # type: ignore[no-untyped-def]
    """Logs `http` in with a link from the bot; returns the CSRF token of its pages."""
    link = await bot.link(user)
    code = link.split("code=", 1)[1]
    async with http.post(f"{bot.base}/console/login", data={"code": code}) as response:
        assert response.status == 200 and response.url.path == "/console/"
        found = CSRF_FIELD.search(await response.text())
    assert found
    return found.group(1)


async def test_every_route_refuses_a_visitor_without_a_session(console_bot: ConsoleBot) -> None:
    routes = console_routes(console_bot)
    assert len(routes) >= 6
    guarded = 0
    async with client() as http:
        for method, path, need in routes:
            async with http.request(
                method, console_bot.base + path, data={"csrf": "x"}, allow_redirects=False
            ) as response:
                assert_headers(response)
                if need is Permission.PUBLIC:
                    continue
                guarded += 1
                assert response.status == 401, (method, path, response.status)
                assert "Sanne" not in await response.text()
        async with http.get(f"{console_bot.base}/console/no-such-page") as response:
            assert_headers(response)
            assert response.status in (401, 404)
    assert guarded >= 5


async def test_every_post_refuses_a_form_without_its_csrf_token(console_bot: ConsoleBot) -> None:
    posts = [(m, p) for m, p, need in console_routes(console_bot) if m == "POST"]
    posts = [(m, p) for m, p in posts if p != "/console/login"]
    assert posts
    async with client() as http:
        token = await logged_in(console_bot, http)
        for _, path in posts:
            for form in ({}, {"csrf": "0" * 64}):
                async with http.post(
                    console_bot.base + path, data=form, allow_redirects=False
                ) as response:
                    assert_headers(response)
                    assert response.status == 403, (path, form, response.status)
        # the session still works: the refusals changed nothing
        async with http.get(f"{console_bot.base}/console/sessions") as response:
            assert response.status == 200
            assert token in await response.text()


async def test_a_used_or_expired_link_is_refused(console_bot: ConsoleBot) -> None:
    link = await console_bot.link()
    code = link.split("code=", 1)[1]
    async with client() as http:
        async with http.get(link) as response:  # a link preview: the code stays unused
            assert response.status == 200
        async with http.post(f"{console_bot.base}/console/login", data={"code": code}) as first:
            assert first.url.path == "/console/"
    async with (
        client() as http,
        http.post(
            f"{console_bot.base}/console/login", data={"code": code}, allow_redirects=False
        ) as again,
    ):
        assert again.status == 403
        assert COOKIE not in again.cookies
    # a link made eleven minutes ago has expired (10 minutes by default)
    database = Database(console_bot.database_url)
    now = console_bot.telegram.core.clock.now()
    access = ConsoleAccess(VAULT, Console, console_bot.base)
    try:
        async with database.transaction() as uow:
            [coordinator] = await uow.people.coordinators()
            old = await access.link(uow, coordinator, now - timedelta(minutes=11))
    finally:
        await database.dispose()
    async with (
        client() as http,
        http.post(
            f"{console_bot.base}/console/login",
            data={"code": old.split("code=", 1)[1]},
            allow_redirects=False,
        ) as response,
    ):
        assert response.status == 403


async def test_parents_and_vps_get_no_link(console_bot: ConsoleBot) -> None:
    parent = console_bot.api.user(5551, "Karim", username="karim_x", language_code="ar")
    await parent.send_text("/start")
    await parent.wait_for(1)
    await parent.press("lang:ar")
    await parent.wait_for(3)
    await parent.send_text("/console")
    said = await parent.wait_for(1)
    vp = console_bot.api.user(5552, "Amina", language_code="tr")
    await console_bot.invite(vp, Profile("vp", "Amina E", ("ar", "tr"), "f"))
    await vp.send_text("/console")
    told = await vp.wait_for(1)
    for messages in (said, told):
        text = " ".join(m.get("text", "") for m in messages)
        assert "/console/login" not in text and "code=" not in text
    rows = await console_bot.query("select count(*) from console_link")
    assert rows[0][0] == 0


async def test_a_deactivated_coordinator_is_out_at_once(console_bot: ConsoleBot) -> None:
    async with client() as http:
        await logged_in(console_bot, http)
        async with http.get(f"{console_bot.base}/console/sessions") as response:
            assert response.status == 200
        database = Database(console_bot.database_url)
        try:
            async with database.transaction() as uow:
                [coordinator] = await uow.people.coordinators()
                await uow.people.update(coordinator.id, active=False)
        finally:
            await database.dispose()
        async with http.get(f"{console_bot.base}/console/sessions") as response:
            assert response.status == 401


async def test_one_coordinator_cannot_act_as_another(console_bot: ConsoleBot) -> None:
    other = console_bot.api.user(7002, "Joost", language_code="nl")
    await console_bot.invite(other, Profile("coordinator", "Joost Bakker"))
    async with client() as mine, client() as theirs:
        my_token = await logged_in(console_bot, mine)
        their_token = await logged_in(console_bot, theirs, other)
        [(their_session,)] = await console_bot.query(
            "select s.id from console_session s join person p on p.id = s.person_id "
            "where p.name = 'Joost Bakker'"
        )
        # my session, my token, their session's number: nothing happens to theirs
        async with mine.post(
            f"{console_bot.base}/console/sessions/end",
            data={"csrf": my_token, "session": str(their_session)},
        ) as response:
            assert response.status == 200
        async with theirs.get(f"{console_bot.base}/console/sessions") as response:
            assert response.status == 200
            assert "Joost Bakker" in await response.text()
        # their token with my session: refused
        async with mine.post(
            f"{console_bot.base}/console/sessions/end",
            data={"csrf": their_token},
            allow_redirects=False,
        ) as response:
            assert response.status == 403
        assert my_token != their_token


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_failed_links_are_limited_per_address(console_bot: ConsoleBot) -> None:
    statuses = []
    async with client() as http:
        for attempt in range(12):
            async with http.post(
                f"{console_bot.base}/console/login",
                data={"code": f"wrong-{attempt}"},
                allow_redirects=False,
            ) as response:
                statuses.append(response.status)
        # even a good link waits now, from this address
        link = await console_bot.link()
        async with http.post(
            f"{console_bot.base}/console/login",
            data={"code": link.split("code=", 1)[1]},
            allow_redirects=False,
        ) as response:
            assert response.status == 429
    assert statuses[:10] == [403] * 10 and statuses[10:] == [429, 429]

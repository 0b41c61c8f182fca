"""Could the console reveal who a parent is or what they wrote? Parents with random
identities walk the flows and are relayed to a VP; then every console page a coordinator
can reach by following links, and the audit CSV, are read whole: none holds a parent's id,
name, username or any word they or their VP wrote."""

from __future__ import annotations

import random
import re
import string
from html import unescape
from urllib.parse import urljoin, urlsplit

from storage.people import Profile
from tests.console.conftest import ConsoleBot
from tests.console.test_security import client, logged_in
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import ask_to_talk

MAX_PAGES = 150
HREF = re.compile(r'href="([^"#]+)"')


def _word(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_letters) for _ in range(length))


async def crawl(bot: ConsoleBot) -> dict[str, str]:
    """Every GET page under /console reachable from the board, by links (bounded)."""
    seen: dict[str, str] = {}
    async with client() as http:
        await logged_in(bot, http)
        queue = [f"{bot.base}/console/"]
        while queue and len(seen) < MAX_PAGES:
            url = queue.pop(0)
            if url in seen:
                continue
            async with http.get(url) as response:
                body = await response.text()
                assert response.status == 200, (url, response.status)
            seen[url] = body
            if "html" not in response.headers.get("Content-Type", ""):
                continue
            for href in HREF.findall(body):
                target = urljoin(url, unescape(href))
                parts = urlsplit(target)
                if (
                    parts.netloc == urlsplit(bot.base).netloc
                    and parts.path.startswith("/console/")
                    and not parts.path.startswith("/console/static/")
                ):
                    queue.append(target.split("#")[0])
    return seen


async def test_no_console_page_and_no_export_names_a_parent(console_bot: ConsoleBot) -> None:
    rng = random.Random()
    vp = console_bot.api.user(6101, "Amina", language_code="nl")
    await console_bot.invite(vp, Profile("vp", "Amina El Idrissi", ("ar", "tr", "nl"), "f"))
    secrets: list[str] = []
    for language in ("ar", "tr"):
        first_name, username = _word(rng, 10), "u" + _word(rng, 11).lower()
        user_id = rng.randrange(1_000_000_000, 9_999_999_999)
        parent = console_bot.api.user(
            user_id, first_name, username=username, language_code=language
        )
        await ask_to_talk(parent, language)
        [offer] = await vp.wait_for(1)
        await vp.press(buttons(offer)[0]["callback_data"])  # accept
        await vp.wait_for(2)
        await parent.wait_for(1)  # told who took it
        said = f"{_word(rng, 8)} {_word(rng, 9)}"
        await parent.send_text(said)
        [relayed] = await vp.wait_for(1)
        answer = f"{_word(rng, 7)} {_word(rng, 12)}"
        await vp.reply_to(relayed["message_id"], answer)
        await parent.wait_for(1)
        secrets += [str(user_id), first_name, username, said, answer]
    pages = await crawl(console_bot)
    assert any("/cases/" in url for url in pages), list(pages)
    assert any("/people" in url for url in pages) and any("/audit" in url for url in pages)
    async with client() as http:
        await logged_in(console_bot, http)
        async with http.get(f"{console_bot.base}/console/audit.csv") as response:
            assert response.status == 200
            pages["audit.csv"] = await response.text()
    for url, body in pages.items():
        for secret in secrets:
            for part in secret.split():
                assert part not in body, (url, part)

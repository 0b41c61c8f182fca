"""/metrics under a small load: every metric moves, the token is needed, no label names anyone.

Four parents walk to a case, one of them urgently with a 3-second deadline that is breached;
one sends an update PTB cannot read, one an update that keeps failing; a 429 holds a chat's
messages in the outbox. Prometheus's own parser reads what the bot serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.errors import StartupError
from bot.logs import JsonFormatter
from bot.settings import DEFAULT_FLOWS_DIR, Settings, load_settings
from bot.telegram import TelegramBot
from storage.cases import OPEN_STATUSES
from tests.botapi import FakeBotApi, FakeUser
from tests.journeys import ask_a_question, press_index
from tests.live import captured_log, eventually, live_bot, migrated, settings_for

TOKEN = "metrics-token-0123456789abcdef"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
# Every metric the issue names, by the sample that shows it.
COUNTERS = (
    ("tussenin_updates_handled_total", (("result", "processed"),)),
    ("tussenin_updates_failed_total", ()),
    ("tussenin_updates_set_aside_total", (("cause", "unreadable"),)),
    ("tussenin_updates_set_aside_total", (("cause", "failing"),)),
    ("tussenin_update_handling_seconds_count", ()),
    ("tussenin_update_handling_seconds_sum", ()),
    ("tussenin_urgent_breaches_total", ()),
)
GAUGES = (
    ("tussenin_outbox_pending", ()),
    ("tussenin_outbox_oldest_pending_seconds", ()),
    ("tussenin_task_lag_seconds", ()),
    ("tussenin_cases_open", (("state", "waiting"),)),
    ("tussenin_urgent_least_seconds_left", ()),
)
# The only label values the bot may use: fixed words, and the histogram's bucket bounds.
VOCABULARY = {"processed", "duplicate", "unreadable", "failing", *OPEN_STATUSES}


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG, as LOG_FORMAT=json writes it."""
    with captured_log(JsonFormatter()) as stream:
        yield stream


def short_urgent_timings(folder: Path) -> Path:
    """The shipped flows with an urgent ladder of seconds: a breach within the test."""
    shutil.copytree(DEFAULT_FLOWS_DIR, folder)
    settings = folder / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    for key, value in (
        ("everyone_after", "1s"),
        ("coordinator_after", "2s"),
        ("breach_after", "3s"),
    ):
        start = text.index(f"  {key}:")
        end = text.index("#", start)
        text = text[:start] + f"  {key}: {value}".ljust(end - start) + text[end:]
    settings.write_text(text, encoding="utf-8")
    return folder


def with_token(settings: Settings, token: str | None = TOKEN) -> Settings:
    return dataclasses.replace(settings, metrics_token=SecretStr(token) if token else None)


async def scrape(http: aiohttp.ClientSession, port: int, token: str | None = TOKEN) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.get(f"http://127.0.0.1:{port}/metrics", headers=headers) as response:
        assert response.status == 200, response.status
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return await response.text()


def samples(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def label_values(text: str) -> set[str]:
    return {
        value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        for name, value in sample.labels.items()
        if name != "le"
    }


async def ask_urgently(parent: FakeUser) -> None:
    """From /start to an urgent case passed on, in English."""
    await parent.send_text("/start")
    await parent.wait_for(1, timeout=30)
    await parent.press("lang:en")
    await parent.wait_for(3, timeout=30)
    await press_index(parent, 0)  # ask a question
    await parent.wait_for(1, timeout=30)
    await press_index(parent, 1)  # a topic
    await parent.wait_for(2, timeout=30)
    await parent.send_text("Nobody helps us and it cannot wait.")
    await parent.wait_for(1, timeout=30)
    await press_index(parent, 2)  # no preference
    await parent.wait_for(1, timeout=30)
    await press_index(parent, 2)  # it is urgent
    await parent.wait_for(2, timeout=30)
    await press_index(parent, 0)  # yes, pass it on
    await parent.wait_for(1, timeout=30, predicate=lambda m: "112" in m.get("text", ""))


def unreadable(user: FakeUser) -> dict[str, Any]:
    """A message whose date PTB cannot read: set aside at once."""
    return {
        "message": {
            "message_id": 1,
            "date": "yesterday",
            "chat": {"id": user.id, "type": "private", "first_name": user.user["first_name"]},
            "from": user.user,
            "text": "my neighbour shouts at the children",
        }
    }


def failing(user: FakeUser) -> dict[str, Any]:
    """A message without a chat: PTB reads it, the handlers fail on it every time."""
    return {
        "message": {
            "message_id": 2,
            "date": 1_790_000_000,
            "from": user.user,
            "text": "is this really anonymous",
        }
    }


async def sampling(
    http: aiohttp.ClientSession, port: int, seen: list[Samples], stop: asyncio.Event
) -> None:
    """Scrape every 50 ms while the load runs, as Prometheus would, only faster."""
    while not stop.is_set():
        seen.append(samples(await scrape(http, port)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


async def aliases(telegram: TelegramBot) -> list[str]:
    async with telegram.core.database.transaction() as uow:
        return [case.alias for case in await uow.cases.everything()]


async def test_every_metric_moves_under_load_and_no_label_names_anyone(
    api: FakeBotApi, database_url: str, tmp_path: Path, json_log: io.StringIO
) -> None:
    flows = short_urgent_timings(tmp_path / "flows")
    settings = with_token(settings_for(api, await migrated(database_url), flows_dir=flows))
    names = ("Zainab", "Mehmet", "Agnieszka", "Yohannes", "Halyna", "Abdi")
    people = [
        api.user(
            7_350_100_000 + n * 7_919, name, username=f"{name.lower()}_{n}", language_code="en"
        )
        for n, name in enumerate(names)
    ]
    walkers, urgent, sender = people[:3], people[3], people[4]
    api.fail("sendMessage", "429", chat_id=people[5].id, retry_after=3)  # held in the outbox
    seen: list[Samples] = []
    stop = asyncio.Event()
    async with live_bot(settings) as telegram, aiohttp.ClientSession() as http:
        before_text = await scrape(http, settings.port)
        before = samples(before_text)
        watcher = asyncio.create_task(sampling(http, settings.port, seen, stop))
        try:
            await asyncio.gather(
                *(ask_a_question(parent) for parent in walkers),
                ask_urgently(urgent),
                people[5].send_text("/help"),
            )
            api.enqueue(unreadable(sender))
            api.enqueue(failing(sender))
            await eventually(lambda: api.pending_updates == [], 30)

            async def breached() -> bool:
                found = samples(await scrape(http, settings.port))
                return found[("tussenin_urgent_breaches_total", ())] >= 1

            for _ in range(100):  # the 3-second deadline, then the next tick
                if await breached():
                    break
                await asyncio.sleep(0.1)
            await people[5].wait_for(1, timeout=20)  # the 429 has passed
        finally:
            stop.set()
            await watcher
        after_text = await scrape(http, settings.port)
        after = samples(after_text)
        async with http.get(f"http://127.0.0.1:{settings.port}/metrics") as response:
            assert response.status == 401
        async with http.get(
            f"http://127.0.0.1:{settings.port}/metrics",
            headers={"Authorization": "Bearer metrics-token-0123456789abcdeX"},
        ) as response:
            assert response.status == 401
        cases = await aliases(telegram)

    assert len(cases) == 4
    identities = {*cases}
    for person in people:
        identities |= {str(person.id), person.user["first_name"], person.user["username"]}
    for text in (before_text, after_text):
        values = label_values(text)
        assert values <= VOCABULARY, values - VOCABULARY
        assert not values & identities
        assert not any(identity in text for identity in identities)

    for key in COUNTERS:
        assert after[key] > before.get(key, 0), key
    assert after[("tussenin_urgent_breaches_total", ())] == 1
    for key in GAUGES:
        assert any(sample.get(key) != before.get(key) for sample in seen), key
    assert after[("tussenin_cases_open", (("state", "waiting"),))] == 4
    assert after[("tussenin_urgent_least_seconds_left", ())] < 0  # overdue now
    assert after[("tussenin_database_up", ())] == 1

    entries = [json.loads(line) for line in json_log.getvalue().splitlines()]  # one a line
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    assert sum("set aside after" in entry["message"] for entry in entries) == 2
    assert any("AttributeError" in entry.get("traceback", "") for entry in entries)
    words = ("neighbour shouts", "really anonymous", "cannot wait", "does not want to go")
    people_ids = identities - set(cases)
    for line in json_log.getvalue().splitlines():
        assert "no attribute" not in line  # a traceback names the error's class, not its words
        for secret in (*people_ids, *words):
            assert secret not in line, f"{secret!r} is in the log: {line[:300]}"


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_metrics_are_off_without_a_token(
    api: FakeBotApi, database_url: str, mode: str
) -> None:
    settings = settings_for(api, await migrated(database_url), webhook=mode == "webhook")
    url = f"http://127.0.0.1:{settings.port}/metrics"
    async with live_bot(settings), aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}):
            async with http.get(url, headers=headers) as response:
                assert response.status == 404  # METRICS_TOKEN unset: no /metrics at all


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_metrics_need_the_token(api: FakeBotApi, database_url: str, mode: str) -> None:
    settings = with_token(
        settings_for(api, await migrated(database_url), webhook=mode == "webhook")
    )
    url = f"http://127.0.0.1:{settings.port}/metrics"
    async with live_bot(settings), aiohttp.ClientSession() as http:
        for headers in (
            {},
            {"Authorization": TOKEN},
            {"Authorization": f"Basic {TOKEN}"},
            {"Authorization": f"Bearer {TOKEN[:-1]}"},
            {"Authorization": f"Bearer {TOKEN}x"},
            {"Authorization": "Bearer "},
        ):
            async with http.get(url, headers=headers) as response:
                assert response.status == 401, headers
                assert response.headers["WWW-Authenticate"] == "Bearer"
                assert "tussenin" not in await response.text()
        assert "tussenin_updates_handled_total" in await scrape(http, settings.port)


def test_metrics_token_setting(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().metrics_token is None
    monkeypatch.setenv("METRICS_TOKEN", f"  {TOKEN} ")
    token = load_settings().metrics_token
    assert token is not None and token.get_secret_value() == TOKEN
    monkeypatch.setenv("METRICS_TOKEN", "short")
    with pytest.raises(StartupError, match=r"^METRICS_TOKEN must be at least 16 characters"):
        load_settings()

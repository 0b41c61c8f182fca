"""Voice prompts over the local Bot API: a coordinator records an Arabic prompt for the
welcome's menu with /record; a parent who chose Arabic and to listen hears it before the
menu's text, one who chose to read does not, a Turkish parent is not asked at all; and
`flows export` writes the prompt as an .ogg beside flows that load again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.services.reception import LISTEN_OFF, LISTEN_ON
from storage import Database
from storage.people import Profile
from storage.published import content_hash
from tests.botapi import FakeBotApi, FakeUser
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import invite, join
from tests.live import cli_settings, live_bot, migrated, run_cli, settings_for

VOICE = b"OggS" + bytes(range(200))  # what Telegram keeps of the coordinator's recording


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def press_starting(user: FakeUser, message: dict[str, Any], label: str) -> None:
    [data] = [b["callback_data"] for b in buttons(message) if b["text"].startswith(label)]
    await user.press(data)


async def record_arabic_menu_prompt(coordinator: FakeUser) -> tuple[str, list[str]]:
    """/record → welcome → menu → العربية → a voice message; its file_id and the replies."""
    await coordinator.send_text("/record")
    [flows] = await coordinator.wait_for(1)
    await press_starting(coordinator, flows, "welcome")
    [nodes] = await coordinator.wait_for(1)
    await press_starting(coordinator, nodes, "menu ·")
    [languages] = await coordinator.wait_for(1)
    await coordinator.press("العربية")
    [ask] = await coordinator.wait_for(1)
    voice = await coordinator.send_voice(duration=4, data=VOICE)
    [saved] = await coordinator.wait_for(1)
    every = [*buttons(flows), *buttons(nodes), *buttons(languages)]
    assert all(len(b["callback_data"].encode()) <= 64 for b in every)
    return voice["voice"]["file_id"], [ask["text"], saved["text"]]


async def welcome(parent: FakeUser, lang: str, listen: str | None) -> list[dict[str, Any]]:
    """The picker, the language, listen or read (when asked), up to the menu's buttons."""
    await parent.send_text("/start")
    await parent.wait_for(1)
    await parent.press(f"lang:{lang}")
    if listen is not None:
        [question] = await parent.wait_for(1)
        assert {b["callback_data"] for b in buttons(question)} == {LISTEN_ON, LISTEN_OFF}
        await parent.press(listen)
    await parent.wait_for(1, predicate=lambda m: bool(buttons(m)))
    return parent.received


async def test_record_listen_read_and_export(
    api: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    url = await migrated(database_url)
    coordinator = api.user(8601, language_code="nl")
    listens, reads = api.user(8602, language_code="ar"), api.user(8603, language_code="ar")
    turkish = api.user(8604, language_code="tr")
    async with live_bot(settings_for(api, url)):
        await join(coordinator, await invite(url, Profile("coordinator", "Sanne de Vries")))
        file_id, (ask, saved) = await record_arabic_menu_prompt(coordinator)
        heard = await welcome(listens, "ar", LISTEN_ON)
        read = await welcome(reads, "ar", LISTEN_OFF)
        not_asked = await welcome(turkish, "tr", None)
    assert "Arabisch" in ask and "Arabisch" in saved  # in the coordinator's words
    # the listening parent: the Arabic recording, then the menu's question under it
    voices = [i for i, m in enumerate(heard) if "voice" in m]
    assert len(voices) == 1 and heard[voices[0]]["voice"]["file_id"] == file_id
    after = heard[voices[0] + 1]
    assert buttons(after) and after == heard[-1]  # right before the menu's text and buttons
    assert not any("voice" in m for m in read)  # the reader: no voice at all
    assert [m["text"] for m in read] == [m["text"] for m in heard if "voice" not in m]
    assert not any("voice" in m for m in not_asked)  # no Turkish prompt: nothing to ask
    assert [call["chat_id"] for call in api.calls("sendVoice")] == [listens.id]

    out = tmp_path / "export"
    code, stderr = await run_cli(tmp_path, "flows", "export", str(out), **cli_settings(api, url))
    assert code == 0, stderr
    assert (out / "welcome-menu-ar.ogg").read_bytes() == VOICE
    welcome_flow = yaml.safe_load((out / "welcome.yaml").read_text(encoding="utf-8"))
    assert welcome_flow["nodes"]["menu"]["media"] == {"voice": {"ar": "welcome-menu-ar.ogg"}}
    assert sorted(p.name for p in out.glob("*.yaml")) == [
        "ask.yaml",
        "checkin.yaml",
        "danger.yaml",
        "information.yaml",
        "referral.yaml",
        "satisfaction.yaml",
        "settings.yaml",
        "welcome.yaml",
    ]
    code, stderr = await run_cli(tmp_path, "flows", "check", str(out), **cli_settings(api, url))
    assert code == 0, stderr
    # the settings as published, byte for byte: they seed a fresh database to the same hash
    database = Database(url)
    try:
        async with database.transaction() as uow:
            published = await uow.published.newest("settings")
    finally:
        await database.dispose()
    assert published is not None
    exported = (out / "settings.yaml").read_text(encoding="utf-8")
    assert content_hash(exported) == published.content_hash

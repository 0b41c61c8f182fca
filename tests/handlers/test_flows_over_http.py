"""The flows in Telegram, over the local Bot API: an Arabic parent asks an urgent question
with a voice message; forged and old buttons; /forget leaves nothing tied to the parent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from bot.catalog_checks import in_script
from bot.i18n import RLM
from bot.services.privacy import IdentityVault
from flows.answers import is_symbol
from storage import Database
from tests.botapi import FakeBotApi
from tests.botapi.people import buttons
from tests.conftest import TEST_SECRET_KEY
from tests.journeys import press_index
from tests.live import live_bot, migrated, settings_for

VAULT = IdentityVault(TEST_SECRET_KEY)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def arabic(text: str) -> bool:
    letters = [c for c in text if c.isalpha() and not c.isascii() and not is_symbol(c)]
    ascii_words = [w for w in text.split() if w.isascii() and w.isalpha()]
    known = {"Tussen", "In", "Veilig", "Thuis", "Kindertelefoon", "Zelfmoordpreventie", "CJG"}
    return (
        bool(letters)
        and all(in_script(c, "arabic") for c in letters)
        and all(w.strip("()") in known for w in ascii_words)
    )


async def test_arabic_parent_asks_an_urgent_question_by_voice(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent = api.user(7001, language_code="ar")
    async with live_bot(settings_for(api, url)):
        await parent.send_text("/start")
        [picker] = await parent.wait_for(1)
        assert "✓ العربية" in [b["text"].lstrip(RLM) for b in buttons(picker)]
        await parent.press("lang:ar")
        await parent.wait_for(3)  # the short welcome: hello (2), menu
        await press_index(parent, 0)  # ask a question
        await parent.wait_for(1)
        await press_index(parent, 5)  # safety and peace at home
        await parent.wait_for(2)  # the question, and the voice warning
        await parent.send_voice(duration=12)
        await parent.wait_for(1)
        await press_index(parent, 2)  # no preference
        await parent.wait_for(1)
        await press_index(parent, 2)  # it is urgent
        await parent.wait_for(2)
        await press_index(parent, 0)  # yes, pass it on
        last, _looking = await parent.wait_for(2)  # no VP is registered: "this may take longer"
        messages = parent.received
    after_picker = messages[1:]
    assert all(line.startswith(RLM) for m in after_picker for line in m["text"].split("\n") if line)
    assert all(arabic(m["text"]) for m in after_picker), [
        m["text"] for m in after_picker if not arabic(m["text"])
    ]
    labels = [b["text"] for m in after_picker for b in buttons(m)]
    assert labels and all(label.startswith(RLM) and arabic(label) for label in labels)
    assert "112" in last["text"]
    database = Database(url)
    try:
        async with database.transaction() as uow:
            found = await uow.parents.find(VAULT.subject_hash("telegram", parent.id))
            assert found is not None and found.language == "ar"
            [case] = await uow.cases.of_parent(found.id)
    finally:
        await database.dispose()
    answers = json.loads(VAULT.open(case.sealed_answers))
    assert case.urgent and case.language == "ar" and answers["topic"] == "safety"
    assert set(answers["question"]) == {"voice"} and answers["urgent"] is True


async def test_forged_token_and_old_keyboard(api: FakeBotApi, database_url: str) -> None:
    url = await migrated(database_url)
    parent = api.user(7002, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await parent.send_text("/start")
        await parent.wait_for(1)
        await parent.press("lang:nl")
        await parent.wait_for(3)  # the short welcome: hello (2), menu
        menu = parent.received[-1]
        await press_index(parent, 0)
        await parent.wait_for(1)
        token = buttons(menu)[1]["callback_data"]
        await parent.press(token)  # a button of the old menu
        stale = await parent.wait_for(2)
        forged = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
        parent.received[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] = forged
        await parent.press(forged)
        refused = await parent.wait_for(2)
    assert stale[0]["text"].startswith("Die knop hoort bij een eerdere vraag")
    assert stale[1]["text"].startswith("Waar gaat je vraag over?")
    assert refused[0]["text"] == "Die knop werkt niet meer."
    assert refused[1]["text"].startswith("Waar gaat je vraag over?")


async def test_forget_leaves_no_row_tied_to_the_parent(api: FakeBotApi, database_url: str) -> None:
    url = await migrated(database_url)
    parent, other = api.user(7003, language_code="tr"), api.user(7004, language_code="nl")
    async with live_bot(settings_for(api, url)):
        for user, lang in ((parent, "tr"), (other, "nl")):
            await user.send_text("/start")
            await user.wait_for(1)
            await user.press(f"lang:{lang}")
            await user.wait_for(3)  # the short welcome: hello (2), menu
            await press_index(user, 0)
            await user.wait_for(1)
            await press_index(user, 1)
            await user.wait_for(2)
            await user.send_text("Okul ile ilgili bir sorum var")
            await user.wait_for(1)
            await press_index(user, 0)
            await user.wait_for(1)
            await press_index(user, 1)
            await user.wait_for(2)
            await press_index(user, 0)  # passed on: a case, which no VP can take yet
            await user.wait_for(2)  # thanks, and the honest "this may take longer"
        await parent.send_text("/forget")
        await parent.wait_for(1)
        await press_index(parent, 0)
        [gone] = await parent.wait_for(1)
        import asyncio

        await asyncio.sleep(1)  # the receipt of the last message is written after sending
    tied = await rows_tied_to(url, parent.id)
    kept = await rows_tied_to(url, other.id)
    assert tied == [], tied
    assert kept  # the same search finds the other parent's rows
    assert gone["text"]


async def rows_tied_to(url: str, user_id: int) -> list[str]:
    """Rows holding the parent's hash, their sealed chat id, or their parent row's id."""
    key = VAULT.subject_hash("telegram", user_id)
    database = Database(url)
    metadata = MetaData()
    found = []
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(metadata.reflect)
            parents = metadata.tables["parent"]
            ids = [
                r.id
                for r in (
                    await connection.execute(select(parents).where(parents.c.subject_hash == key))
                ).all()
            ]
            for table in metadata.sorted_tables:
                for row in (await connection.execute(select(table))).mappings():
                    for column, value in row.items():
                        if value == key or (column == "parent_id" and value in ids):
                            found.append(f"{table.name}.{column}")
                        elif isinstance(value, str) and value.startswith("gAAAA"):
                            try:
                                if VAULT.open(value) == str(user_id):
                                    found.append(f"{table.name}.{column} (sealed chat)")
                            except ValueError:
                                pass
    finally:
        await database.dispose()
    return found


async def test_a_voice_prompt_is_sent_in_the_parents_language(
    api: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    import shutil

    from bot.settings import DEFAULT_FLOWS_DIR

    shutil.copytree(DEFAULT_FLOWS_DIR, tmp_path, dirs_exist_ok=True)
    welcome = tmp_path / "welcome.yaml"
    welcome.write_text(
        welcome.read_text(encoding="utf-8").replace(
            "  hello:\n",
            "  hello:\n    media:\n      voice: {nl: hallo-nl.ogg, ar: hallo-ar.ogg}\n",
        ),
        encoding="utf-8",
    )
    (tmp_path / "hallo-nl.ogg").write_bytes(b"OggS dutch")
    (tmp_path / "hallo-ar.ogg").write_bytes(b"OggS arabic")
    parent = api.user(7005, language_code="ar")
    polish = api.user(7006, language_code="pl")  # no Polish prompt: never the Dutch one
    async with live_bot(settings_for(api, await migrated(database_url), flows_dir=tmp_path)):
        await parent.send_text("/start")
        await parent.wait_for(1)
        await parent.press("lang:ar")
        await parent.wait_for(1)  # listen or read?
        await parent.press("listen:on")
        await parent.wait_for(1, predicate=lambda m: bool(buttons(m)))  # on to the menu
        await polish.send_text("/start")
        await polish.wait_for(1)
        await polish.press("lang:pl")  # not asked to listen: straight on to the welcome
        await polish.wait_for(1, predicate=lambda m: bool(buttons(m)))
    voices = [m for m in parent.received if "voice" in m]
    # the picker, listen or read, then the Arabic prompt before the welcome's first text
    assert len(voices) == 1 and parent.received.index(voices[0]) == 2
    assert "voice" not in parent.received[3] and parent.received[3]["text"]
    [call] = api.calls("sendVoice")
    assert call["chat_id"] == parent.id
    assert not any("voice" in m for m in polish.received)
    assert not [b for m in polish.received for b in buttons(m) if "listen" in b["callback_data"]]


async def test_a_vp_registers_with_an_invitation_link(
    api: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    from tests.live import cli_settings, run_cli, start_cli

    url = await migrated(database_url)
    settings = cli_settings(api, url)
    async with live_bot(settings_for(api, url)):
        pass  # the bot has run once: its username is known, links can be made offline
    process = await start_cli(
        tmp_path,
        "vp",
        "invite",
        "--name",
        "Amina El Idrissi",
        "--languages",
        "ar,nl",
        "--gender",
        "f",
        "--topics",
        "school,safety",
        **settings,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    link = next(line for line in stdout.decode().splitlines() if line.startswith("https://"))
    assert link.startswith(f"https://t.me/{api.bot_user['username']}?start=inv")
    code = link.split("start=", 1)[1]
    vp, stranger = api.user(7101, language_code="nl"), api.user(7102, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await vp.send_text(f"/start {code}")
        [welcome] = await vp.wait_for(1)
        await stranger.send_text(f"/start {code}")  # a link works once
        [refused] = await stranger.wait_for(1)
    assert welcome["text"].startswith("Welkom, Amina El Idrissi") and "Amina" in welcome["text"]
    assert "vertrouwenspersoon" in welcome["text"]
    assert refused["text"] != welcome["text"] and "Amina" not in refused["text"]
    bad, stderr_text = await run_cli(
        tmp_path, "vp", "invite", "--name", "X", "--languages", "xx", "--gender", "f", **settings
    )
    assert bad == 2 and "--languages" in stderr_text

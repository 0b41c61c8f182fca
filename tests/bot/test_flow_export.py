"""`flows export`: recorded prompts named in the nodes' media beside a flow file's own ones,
media files copied along (never outside the folder), and a prompt Telegram no longer has
reported instead of named."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.flow_export import copy_media, media_files, with_voices
from flows.loader import flow_from_data
from flows.model import Flow
from storage import Database
from storage.prompts import VoicePrompt
from tests.bot.services.test_cases import NOW
from tests.botapi import FakeBotApi
from tests.live import CLI_TIMEOUT, cli_settings, migrated, run_cli, start_cli

FLOW = {
    "schema": 1,
    "flow": "main",
    "start": "a",
    "nodes": {
        "a": {"say": ["Hallo"], "media": {"voice": {"tr": "a-tr.ogg"}}, "next": "b"},
        "b": {"say": ["Kijk"], "media": {"photo": {"nl": "plaatje.jpg"}}, "next": "c"},
        "c": {"say": ["Klaar"]},
    },
}


def flow() -> Flow:
    made, problems = flow_from_data(FLOW, "main.yaml")
    assert made is not None and problems == []
    return made


def test_recorded_prompts_join_the_flow_files_own() -> None:
    voices = {
        "a": {"ar": "main-a-ar.ogg", "tr": "main-a-tr.ogg"},
        "b": {"ar": "main-b-ar.ogg"},
        "c": {"so": "main-c-so.ogg"},
    }
    data, notes = with_voices(flow(), voices)
    nodes = data["nodes"]
    assert nodes["a"]["media"] == {"voice": {"ar": "main-a-ar.ogg", "tr": "main-a-tr.ogg"}}
    assert nodes["b"]["media"] == {"photo": {"nl": "plaatje.jpg"}}  # no room for a voice
    assert nodes["c"]["media"] == {"voice": {"so": "main-c-so.ogg"}}
    assert notes == [
        "main:b shows a photo, so its voice prompts (main-b-ar.ogg) are beside the flow "
        "but not named in it"
    ]
    assert FLOW["nodes"]["c"].get("media") is None  # the loaded flow is left as it was
    again, problems = flow_from_data(data, "main.yaml")
    assert again is not None and problems == []
    media = again.nodes["c"].media
    assert media is not None and media.spoken("so") == "main-c-so.ogg"
    assert media_files(data) == {
        "main-a-ar.ogg",
        "main-a-tr.ogg",
        "plaatje.jpg",
        "main-c-so.ogg",
    }


def test_media_is_copied_but_never_outside_the_folder(tmp_path: Path) -> None:
    source, out = tmp_path / "flows", tmp_path / "out"
    (source / "beeld").mkdir(parents=True)
    (source / "beeld" / "plaatje.jpg").write_bytes(b"JPEG")
    (tmp_path / "geheim.txt").write_text("niet van ons")
    out.mkdir()
    notes = copy_media(source, out, {"beeld/plaatje.jpg", "../geheim.txt", "weg.ogg"})
    assert (out / "beeld" / "plaatje.jpg").read_bytes() == b"JPEG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flows", "geheim.txt", "out"]
    assert notes == [
        "not copied: ../geheim.txt (outside the flows folder)",
        f"not copied: weg.ogg (not in {source})",
    ]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def test_a_prompt_telegram_no_longer_has_is_reported(
    api: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    url = await migrated(database_url)
    kept = api.world.files.new("voice", b"OggS-kept", duration=2, mime_type="audio/ogg")
    database = Database(url)
    try:
        async with database.transaction() as uow:
            for node, lang, file_id in (
                ("menu", "ar", kept["file_id"]),
                ("hello", "tr", "AwACAgQAAx-gone"),  # Telegram does not know it (any more)
                ("removed", "so", kept["file_id"]),  # a node the flows no longer have
            ):
                await uow.voice_prompts.record(
                    VoicePrompt("welcome", node, lang, file_id, "v0", 1, NOW)
                )
    finally:
        await database.dispose()
    out = tmp_path / "out"
    process = await start_cli(tmp_path, "flows", "export", str(out), **cli_settings(api, url))
    stdout, stderr = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT)
    printed = stdout.decode()
    assert process.returncode == 1, stderr  # one prompt could not be downloaded
    assert "not downloaded: welcome:hello in tr (" in printed
    assert "left out: welcome:removed in so (that node is no longer in the flows)" in printed
    assert "7 flows and 1 recorded voice prompt written to" in printed
    assert (out / "welcome-menu-ar.ogg").read_bytes() == b"OggS-kept"
    assert not (out / "welcome-hello-tr.ogg").exists()
    nodes = yaml.safe_load((out / "welcome.yaml").read_text(encoding="utf-8"))["nodes"]
    assert nodes["menu"]["media"] == {"voice": {"ar": "welcome-menu-ar.ogg"}}
    assert "media" not in nodes["hello"]
    shutil.rmtree(out)
    refused = await run_cli(
        tmp_path, "flows", "export", str(Path(__file__).parents[2] / "flows" / "defaults")
    )
    assert refused[0] == 2 and "another folder than FLOWS_DIR" in refused[1]

"""`python -m bot flows export DIR`: the current flows (as published in the database, byte
for byte; else the files) as YAML, one file per flow, with the settings, and the voice
prompts coordinators recorded with /record downloaded beside them (getFile) as
<flow>-<node>-<language>.ogg and named in each node's `media: {voice: {...}}` (such a flow
is written anew).

The folder loads again as it is (`python -m bot flows check DIR`): the media files the flows
name are copied along. It is how the organisation keeps its prompts outside Telegram, and how
a folder of flows with prompts moves to another bot."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from telegram import Bot
from telegram.error import TelegramError

from bot.aiohttp_request import AiohttpRequest
from bot.errors import StartupError
from bot.i18n import LOCALES_DIR
from bot.services.coordinator_settings import SETTINGS_FILE
from bot.services.languages import LANGUAGES
from bot.services.published_catalogs import KIND as CATALOG_KIND
from bot.services.published_flows import KIND as FLOW_KIND
from bot.services.published_settings import KIND as SETTINGS_KIND
from bot.settings import Settings, sqlite_path
from flows.flowset import FlowSet
from flows.library import load_flowset
from flows.model import Flow
from flows.problems import FlowError
from storage import Database, DatabaseUnavailable
from storage.database import safe_url
from storage.migrations import is_current
from storage.prompts import VoicePrompt

Voices = dict[str, dict[str, str]]  # node → language → file name


def prompt_file(prompt: VoicePrompt) -> str:
    return f"{prompt.flow}-{prompt.node}-{prompt.language}.ogg"


def with_voices(flow: Flow, voices: Voices) -> tuple[dict[str, Any], list[str]]:
    """The flow file's data with each node's recorded prompts in its `media`, and notes on
    what could not be named (a node that shows a photo has no room for a voice)."""
    data = copy.deepcopy(flow.source)
    notes = []
    for node_id, files in sorted(voices.items()):
        raw = data["nodes"][node_id]
        media = raw.get("media")
        if media is None:
            raw["media"] = {"voice": dict(sorted(files.items()))}
        elif "voice" in media:  # the file's own prompts, and the recorded ones over them
            raw["media"] = {"voice": dict(sorted({**media["voice"], **files}.items()))}
        else:
            kind = next(iter(media))
            notes.append(
                f"{flow.name}:{node_id} shows a {kind}, so its voice prompts "
                f"({', '.join(sorted(files.values()))}) are beside the flow but not named in it"
            )
    return data, notes


def media_files(data: dict[str, Any]) -> set[str]:
    """Every file the flow file's nodes name (relative to the flows folder)."""
    return {
        str(path)
        for raw in data["nodes"].values()
        if isinstance(raw, dict) and isinstance(raw.get("media"), dict)
        for files in raw["media"].values()
        if isinstance(files, dict)
        for path in files.values()
    }


def export_flows(settings: Settings, folder: Path, languages: list[str]) -> int:
    """Write the export; 1 when a recorded prompt could not be downloaded."""
    if folder.resolve() == settings.flows_dir.resolve():
        raise StartupError("Export to another folder than FLOWS_DIR: its files stay as they are.")
    stored = asyncio.run(read_database(settings))
    rtl = frozenset(code for code, language in LANGUAGES.items() if language.rtl)
    try:
        flows, _ = load_flowset(
            settings.flows_dir,
            LOCALES_DIR,
            languages,
            rtl,
            stored.catalogs or None,
            stored.flows or None,
        )
    except FlowError as error:
        raise StartupError(
            f"The flows are invalid: {error.problems[0]} (see `python -m bot flows check`)"
        ) from None
    folder.mkdir(parents=True, exist_ok=True)
    published = stored.settings
    voices, notes, failed = asyncio.run(download(settings, flows, stored.prompts, folder))
    # The settings as published (what every instance serves), byte for byte: the folder
    # seeds a fresh database to the same content hash.
    settings_text = published or (settings.flows_dir / SETTINGS_FILE).read_text(encoding="utf-8")
    (folder / SETTINGS_FILE).write_text(settings_text, encoding="utf-8")
    for flow in sorted(flows.flows.values(), key=lambda f: f.name):
        recorded = voices.get(flow.name, {})
        data, flow_notes = with_voices(flow, recorded)
        notes += flow_notes
        downloaded = {name for files in recorded.values() for name in files.values()}
        notes += copy_media(settings.flows_dir, folder, media_files(data) - downloaded)
        text = stored.flows.get(flow.file)
        if text is None or recorded:  # written anew, with the recorded prompts named
            head = f"# Exported by `python -m bot flows export` from version {flows.version}.\n"
            text = head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
        # As published, byte for byte: the folder seeds a fresh database to the same hashes.
        (folder / Path(flow.file).name).write_text(text, encoding="utf-8")
    for note in notes:
        print(note)
    saved = sum(len(files) for node in voices.values() for files in node.values())
    prompts_written = f"{saved} recorded voice prompt{'' if saved == 1 else 's'}"
    print(f"{len(flows.flows)} flows and {prompts_written} written to {folder}")
    return 1 if failed else 0


@dataclass(frozen=True)
class Stored:
    """What the database holds of what a coordinator changes: recorded prompts, and the
    newest published settings, catalogs (by language) and flows (by file)."""

    prompts: list[VoicePrompt]
    settings: str | None
    catalogs: dict[str, str]
    flows: dict[str, str]  # by file name


async def read_database(settings: Settings) -> Stored:
    """Read only (a missing SQLite file is not created)."""
    path = sqlite_path(settings.database_url)
    if path is not None and not path.is_file():
        print(f"no database at {path}: nothing published or recorded to export")
        return Stored([], None, {}, {})
    database = Database(settings.database_url)
    try:
        await database.ping()
        if not await is_current(database.engine):
            raise StartupError(
                f"The database at {safe_url(settings.database_url)} is not up to date: "
                "run `python -m bot db upgrade`."
            )
        async with database.transaction() as uow:
            newest = await uow.published.newest(SETTINGS_KIND)
            catalogs = {}
            for code in LANGUAGES:
                catalog = await uow.published.newest(CATALOG_KIND, code)
                if catalog is not None:
                    catalogs[code] = catalog.content
            flows = await uow.published.newest_of_each(FLOW_KIND)
            return Stored(
                await uow.voice_prompts.all(),
                newest.content if newest else None,
                catalogs,
                {name: version.content for name, version in flows.items()},
            )
    except DatabaseUnavailable as error:
        raise StartupError(f"{error}: check DATABASE_URL and that the server runs.") from None
    finally:
        await database.dispose()


def export_catalogs(settings: Settings, folder: Path) -> int:
    """`i18n export DIR`: the catalogs as published (what every instance serves), as
    DIR/<language>/LC_MESSAGES/messages.po, byte for byte: for git and for translation
    tools; such a folder seeds a fresh database to the same content hashes."""
    if folder.resolve() == LOCALES_DIR.resolve():
        raise StartupError("Export to another folder than locales/: its files stay as they are.")
    stored = asyncio.run(read_database(settings))
    written = 0
    for code in LANGUAGES:
        shipped = LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"
        text = stored.catalogs.get(code)
        if text is None and not shipped.exists():
            continue
        target = folder / code / "LC_MESSAGES" / "messages.po"
        target.parent.mkdir(parents=True, exist_ok=True)
        content = shipped.read_text(encoding="utf-8") if text is None else text
        target.write_text(content, encoding="utf-8")
        written += 1
    print(f"{written} catalogs written to {folder} ({len(stored.catalogs)} as published)")
    return 0


async def download(
    settings: Settings, flows: FlowSet, prompts: list[VoicePrompt], folder: Path
) -> tuple[dict[str, Voices], list[str], int]:
    """Each prompt of a node the flows still have, as an .ogg in `folder` (Telegram keeps
    the file; getFile gives its path): (flow → voices, notes, how many failed)."""
    voices: dict[str, Voices] = {}
    notes: list[str] = []
    failed = 0
    wanted = []
    for prompt in prompts:
        flow = flows.flows.get(prompt.flow)
        if flow is None or prompt.node not in flow.nodes or prompt.language not in LANGUAGES:
            notes.append(
                f"left out: {prompt.flow}:{prompt.node} in {prompt.language} "
                "(that node is no longer in the flows)"
            )
        else:
            wanted.append(prompt)
    if not wanted:
        return voices, notes, failed
    async with bot_api(settings) as bot:
        for prompt in wanted:
            name = prompt_file(prompt)
            try:
                await (await bot.get_file(prompt.file_id)).download_to_drive(folder / name)
            except TelegramError as error:
                failed += 1
                notes.append(
                    f"not downloaded: {prompt.flow}:{prompt.node} in {prompt.language} "
                    f"({error.message}); record it again with /record"
                )
                continue
            voices.setdefault(prompt.flow, {}).setdefault(prompt.node, {})[prompt.language] = name
    return voices, notes, failed


@contextlib.asynccontextmanager
async def bot_api(settings: Settings) -> AsyncIterator[Bot]:
    """The Bot API the bot runs on (TELEGRAM_API_URL): recorded files live there."""
    from bot.telegram import file_url

    if settings.telegram_token is None:
        raise StartupError(
            "TELEGRAM_TOKEN is not set: the recorded voice prompts are downloaded from Telegram."
        )
    bot = Bot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_api_url,
        base_file_url=file_url(settings.telegram_api_url),
        request=AiohttpRequest(),
    )
    async with bot:
        yield bot


def copy_media(source: Path, folder: Path, files: set[str]) -> list[str]:
    """Copy the media files the flows name from the flows folder; nothing is written
    outside `folder`."""
    notes = []
    for name in sorted(files):
        target = (folder / name).resolve()
        if not target.is_relative_to(folder.resolve()):
            notes.append(f"not copied: {name} (outside the flows folder)")
            continue
        if not (source / name).is_file():
            notes.append(f"not copied: {name} (not in {source})")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target)
    return notes

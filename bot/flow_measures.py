"""`python -m bot flows measure`: what the flows ask of a parent, per language, against the
limits of flows/limits.py. Non-zero when a limit is exceeded, so CI and a coordinator see it."""

from __future__ import annotations

import asyncio
from collections.abc import Set
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import LOCALES_DIR
from bot.services.languages import LANGUAGES
from bot.settings import Settings, sqlite_path
from flows.library import load_flowset
from flows.limits import (
    MAX_FIRST_SCREEN_WORDS,
    MAX_RETURNING_WORDS,
    MAX_TAPS_TO_HANDOFF,
    WORD_LIMITED_LANGUAGES,
)
from flows.measure import Measures, Reading, measure, over_limits
from flows.problems import FlowError
from storage import Database, DatabaseUnavailable
from storage.database import safe_url
from storage.migrations import is_current

Recorded = Set[tuple[str, str, str]]


def flows_measure(settings: Settings, folder: Path, languages: list[str]) -> int:
    """Print the table; 1 when a limit is exceeded or the flows do not load."""
    rtl = frozenset(code for code, language in LANGUAGES.items() if language.rtl)
    try:
        flows, _ = load_flowset(folder, LOCALES_DIR, languages, rtl)
    except FlowError as error:
        for problem in error.problems:
            print(problem)
        print("the flows do not load, so they cannot be measured: see `python -m bot flows check`")
        return 1
    recorded, source = asyncio.run(recorded_prompts(settings))
    print(f"flows: {folder} (version {flows.version})")
    print(f"voice prompts: {source}")
    rows = [measure(flows, lang, recorded) for lang in languages]
    for line in table(rows):
        print(line)
    ways = {" → ".join(row.path) for row in rows if row.path}
    for way in sorted(ways):
        print(f"fewest taps to pass a question on: {way}")
    print(
        f"limits: at most {MAX_FIRST_SCREEN_WORDS} words before the first buttons and "
        f"{MAX_RETURNING_WORDS} for a returning parent in {', '.join(WORD_LIMITED_LANGUAGES)} "
        f"(the other languages are reported); at most {MAX_TAPS_TO_HANDOFF} taps in every one"
    )
    exceeded = [reason for row in rows for reason in over_limits(row)]
    for reason in exceeded:
        print(f"exceeded: {reason}")
    print(f"{len(exceeded)} limits exceeded" if exceeded else "within the limits")
    return 1 if exceeded else 0


def table(rows: list[Measures]) -> list[str]:
    def words(reading: Reading) -> str:
        return f"{reading.words} words, {reading.messages} msgs"

    def taps(count: int | None) -> str:
        return "none" if count is None else str(count)

    header = ("language", "first screen", "returning", "taps to a VP", "urgent", "voice prompts")
    lines = [header]
    for row in rows:
        share = f"{round(100 * row.voice_share)}% ({row.voiced} of {row.with_texts})"
        lines.append(
            (
                row.language,
                words(row.first),
                words(row.returning),
                taps(row.taps),
                taps(row.urgent_taps),
                share,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]


async def recorded_prompts(settings: Settings) -> tuple[Recorded, str]:
    """The recorded prompts, and where they came from (or why the database was not read).

    Read only: a missing SQLite file is not created and no schema is upgraded."""
    from bot.services.voice_prompts import VoicePrompts

    without = "only those named in the flow files are counted"
    path = sqlite_path(settings.database_url)
    if path is not None and not path.is_file():
        return set(), f"no database at {path}: {without}"
    database = Database(settings.database_url)
    where = safe_url(settings.database_url)
    try:
        await database.ping()
        if not await is_current(database.engine):
            return set(), f"the database at {where} is not up to date: {without}"
        async with database.transaction() as uow:
            found = await VoicePrompts().recorded(uow)
    except (DatabaseUnavailable, SQLAlchemyError, OSError) as error:
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        return set(), f"the database is not reachable ({reason}): {without}"
    finally:
        await database.dispose()
    return found, f"{len(found)} recorded, read from the database at {where}"

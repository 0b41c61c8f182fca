"""The coordinator's settings live in the database: the file seeds an empty one, every
instance takes a newer version, a restart keeps the console's edits, and an edit of the
file while the bot runs is published like any other ("whatever was published last wins")."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.services.clock import ManualClock
from bot.services.coordinator_settings import SETTINGS_FILE, SettingsFile
from bot.services.published_settings import KIND, PublishedSettings
from bot.services.task_kinds import FOLLOW_UP, NO_RESPONSE
from bot.settings import DEFAULT_FLOWS_DIR
from storage import Database
from storage.published import content_hash
from tests.bot.services.test_cases import NOW

ZONE = ZoneInfo("Europe/Amsterdam")


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(DEFAULT_FLOWS_DIR / SETTINGS_FILE, folder / SETTINGS_FILE)
    return folder


def _instance(folder: Path, database: Database) -> PublishedSettings:
    return PublishedSettings(SettingsFile(folder), database, ManualClock(NOW), ZONE)


def _with_quiet_hours(text: str, start: str) -> str:
    return text.replace('  start: "21:00"', f'  start: "{start}"')


def _edit(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()  # a new modification time, even within the same clock tick
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


async def test_the_file_seeds_and_every_instance_follows_the_newest(
    database: Database, tmp_path: Path
) -> None:
    one = _instance(_folder(tmp_path, "one"), database)
    two = _instance(_folder(tmp_path, "two"), database)
    await one.start()
    await two.start()
    async with database.transaction() as uow:
        [seed] = await uow.published.history(KIND)
    assert seed.source == "files" and seed.content_hash == content_hash(seed.content)
    assert one.applied == two.applied == seed.id
    text = _with_quiet_hours(one._file.text, "20:00")
    async with database.transaction() as uow:
        published = await one.publish(uow, text, person_id=7, now=NOW)
    assert published.problems == [] and published.version is not None
    assert one._file.current.quiet_hours.start == time(20, 0)
    assert two._file.current.quiet_hours.start == time(21, 0)
    await two.follow()
    assert two._file.current.quiet_hours.start == time(20, 0)
    assert two.applied == published.version
    # a restart with the old file keeps the console's edit
    again = _instance(_folder(tmp_path, "again"), database)
    await again.start()
    assert again._file.current.quiet_hours.start == time(20, 0)


async def test_an_edited_file_is_published_and_wins(database: Database, tmp_path: Path) -> None:
    folder = _folder(tmp_path, "one")
    one = _instance(folder, database)
    two = _instance(_folder(tmp_path, "two"), database)
    await one.start()
    await two.start()
    async with database.transaction() as uow:
        await two.publish(uow, _with_quiet_hours(two._file.text, "20:00"), 7, NOW)
    await one.follow()
    assert one._file.current.quiet_hours.start == time(20, 0)
    path = folder / SETTINGS_FILE
    _edit(path, _with_quiet_hours(path.read_text(encoding="utf-8"), "22:30"))
    await one.follow()
    await two.follow()
    assert one._file.current.quiet_hours.start == time(22, 30)
    assert two._file.current.quiet_hours.start == time(22, 30)
    async with database.transaction() as uow:
        newest = await uow.published.newest(KIND)
    assert newest is not None and newest.source == "files" and newest.person_id is None


async def test_invalid_settings_are_never_published(database: Database, tmp_path: Path) -> None:
    one = _instance(_folder(tmp_path, "one"), database)
    await one.start()
    bad = one._file.text.replace("everyone_after: 4h", "everyone_after: 30h")
    async with database.transaction() as uow:
        published = await one.publish(uow, bad, 7, NOW)
        history = await uow.published.history(KIND)
    assert published.version is None and any("order" in p for p in published.problems)
    assert len(history) == 1 and one._file.current.urgent.everyone_after.total_seconds() == 4 * 3600
    # an invalid edit of the file is not published either; the last good settings stay
    path = one._file.path
    _edit(path, "version: 1\nlanguages: [xx]\n")
    await one.follow()
    async with database.transaction() as uow:
        assert len(await uow.published.history(KIND)) == 1
    assert one._file.problems


async def test_new_quiet_hours_move_the_check_ins_already_waiting(
    database: Database, tmp_path: Path
) -> None:
    one = _instance(_folder(tmp_path, "one"), database)
    await one.start()
    evening = datetime(2026, 11, 23, 20, 30, tzinfo=ZONE)  # quiet from 21:00 today: not yet
    afternoon = datetime(2026, 11, 23, 15, 0, tzinfo=ZONE)
    async with database.transaction() as uow:
        late = await uow.tasks.schedule(FOLLOW_UP, evening, NOW, subject="s" * 64)
        early = await uow.tasks.schedule(NO_RESPONSE, afternoon, NOW, subject="t" * 64)
        other = await uow.tasks.schedule("purge", evening, NOW)
        await one.publish(uow, _with_quiet_hours(one._file.text, "20:00"), 7, NOW)
        due = dict(await uow.tasks.pending_of((FOLLOW_UP, NO_RESPONSE, "purge")))
    morning = datetime(2026, 11, 24, 8, 0, tzinfo=ZONE)
    assert due[late] == morning  # now inside the quiet hours: at their end
    assert due[early] == afternoon and due[other] == evening  # outside, or not a check-in
    assert morning - evening == timedelta(hours=11, minutes=30)

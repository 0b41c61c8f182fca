"""The coordinator's settings as published in the database, so that every instance serves
the same version and a redeploy keeps it.

One rule for both ways of editing: whatever was published last wins. The file
(settings.yaml) seeds an empty database; afterwards an edit of the file noticed while the
bot runs is published as a version "from files", exactly like a console edit. Every
instance looks for a newer version every second and takes it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.clock import Clock
from bot.services.coordinator_settings import (
    QuietHours,
    SettingsFile,
    SettingsFileError,
    parse_settings,
)
from bot.services.task_kinds import FOLLOW_UP, NO_RESPONSE
from storage import Database, UnitOfWork
from storage.published import CONSOLE, FILES, Version, content_hash

log = logging.getLogger(__name__)

KIND = "settings"
# What reaches a parent later: held back during quiet hours (bot/services/flow_tasks.py).
QUIET_KINDS = (FOLLOW_UP, NO_RESPONSE)


@dataclass(frozen=True)
class Published:
    """The outcome of publishing: the new version's id, or the problems that stopped it."""

    version: int | None
    problems: list[str]
    moved: int = 0  # waiting check-ins moved to the end of new quiet hours


class PublishedSettings:
    def __init__(
        self, settings: SettingsFile, database: Database, clock: Clock, zone: ZoneInfo
    ) -> None:
        self._file = settings
        self._database = database
        self._clock = clock
        self._zone = zone  # TIMEZONE: quiet hours are local times
        self.applied = 0  # the id of the version this instance serves (0: the file's)

    async def start(self) -> None:
        """At start: an empty database is seeded from the file; else its newest version
        is served, whatever the file says (a redeploy keeps the console's edits)."""
        async with self._database.transaction() as uow:
            newest = await uow.published.newest(KIND)
            if newest is None:
                self.applied = await self._publish(uow, self._file.text, FILES, None)
                return
        self._take(newest)

    async def follow(self) -> None:
        """Every second: publish an edited file, then take a newer version if there is one."""
        before = self._file.current.quiet_hours
        edited = await asyncio.to_thread(self._file.edited)
        if edited is not None:
            async with self._database.transaction() as uow:
                await self._replan(uow, before, self._clock.now())
                newest = await uow.published.newest(KIND)
                if newest is None or newest.content_hash != content_hash(edited):
                    self.applied = await self._publish(uow, edited, FILES, None)
                    return
        async with self._database.transaction() as uow:
            # Lower: this instance's own publish is not committed yet (nothing to take).
            if await uow.published.newest_id(KIND) <= self.applied:
                return
            newest = await uow.published.newest(KIND)
        if newest is not None:
            self._take(newest)

    async def publish(self, uow: UnitOfWork, text: str, person_id: int, now: datetime) -> Published:
        """A coordinator's edit: published only when valid; this instance serves it at once.
        (Should the caller's transaction not commit, the next version published anywhere
        is taken as usual.)"""
        try:
            parse_settings(text, self._file.path)
        except SettingsFileError as error:
            return Published(None, error.problems)
        before = self._file.current.quiet_hours
        version = await self._publish(uow, text, CONSOLE, person_id, now)
        self._file.apply(text, f"the console (version {version})")
        moved = await self._replan(uow, before, now)
        self.applied = version
        return Published(version, [], moved)

    async def _publish(
        self,
        uow: UnitOfWork,
        text: str,
        source: str,
        person_id: int | None,
        now: datetime | None = None,
    ) -> int:
        at = now or self._clock.now()
        version = await uow.published.publish(
            KIND, "", text, content_hash(text), source, person_id, at
        )
        # From files: the file's own reload already said so (and a first start stays quiet).
        level = logging.INFO if source == CONSOLE else logging.DEBUG
        log.log(level, "settings published as version %s (from %s)", version, source)
        return version

    async def _replan(self, uow: UnitOfWork, before: QuietHours, now: datetime) -> int:
        """New quiet hours: check-ins already waiting that now fall inside them move to
        their end (they would be held back when due; moved now, the plan is what happens).
        Done once, by the instance that publishes; returns how many moved."""
        quiet = self._file.current.quiet_hours
        if quiet == before:
            return 0
        moved = 0
        for task_id, due in await uow.tasks.pending_of(QUIET_KINDS):
            morning = quiet.until(max(due, now), self._zone)
            if morning is not None and await uow.tasks.move(task_id, morning):
                moved += 1
        log.info("quiet hours changed: %s waiting check-ins moved to their end", moved)
        return moved

    def _take(self, version: Version) -> None:
        problems = self._file.apply(version.content, f"published version {version.id}")
        if problems:  # published versions were valid when published: a newer bot may differ
            log.error("published settings version %s cannot be served", version.id)
        self.applied = version.id

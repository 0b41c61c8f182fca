"""The flows as published in the database, one version per flow file: every instance serves
the same flows, and a redeploy keeps the ones a coordinator edited in the console.

The same rule as the settings and the catalogs: whatever was published last wins. The files
in FLOWS_DIR seed an empty database. Afterwards a flow file whose content was never
published under its name (edited while the bot runs, changed by a redeploy, or published
by `python -m bot flows reload`) is published "from files", exactly like a console edit; a
file that still holds an older version is not new, so an untouched file never undoes a
console edit.

Publishing checks the whole set of flows, then merges their texts into the published
catalogs as `flows reload` merges the files (a new text untranslated, an edited one
fuzzy), and serves the new version at once. Conversations that started on an older
version finish on it (FlowLibrary keeps every version by its hash)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import with_flow_texts
from bot.services.clock import Clock
from bot.services.flow_library import FlowLibrary
from bot.services.published_catalogs import PublishedCatalogs
from flows.flowset import FlowSet
from flows.library import flow_paths, flow_sources, parse_flows
from flows.problems import ERROR, FlowError, Problem
from storage import Database, UnitOfWork
from storage.published import CONSOLE, FILES, Version

log = logging.getLogger(__name__)

KIND = "flow"
MAX_NAME = 32  # the published table's name column
Stamp = tuple[tuple[str, int, int], ...]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Published:
    """What publishing did: the new versions' ids by file (none when nothing changed), or
    the problems that stopped it (then nothing was published)."""

    versions: dict[str, int]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]


@dataclass(frozen=True)
class Draft:
    """Flows checked but not published: ready to run when there are no errors (`flows`),
    the catalogs publishing them would change, and every problem."""

    flows: FlowSet | None
    catalogs: dict[str, str]
    problems: list[Problem]


class PublishedFlows:
    def __init__(
        self,
        library: FlowLibrary,
        catalogs: PublishedCatalogs,
        database: Database,
        clock: Clock,
    ) -> None:
        self._library = library
        self._catalogs = catalogs
        self._database = database
        self._clock = clock
        self.served: dict[str, str] = {}  # file → the YAML served
        self.applied = 0  # the newest flow version id this instance has seen
        self.from_files: dict[str, int] = {}  # the versions this instance published from files
        self._stamp = self._stat()

    def _stat(self) -> Stamp:
        """Which flow files there are, when they changed and how large they are: from stat
        alone, so a huge file is never read to notice it."""
        stamp = []
        for path in flow_paths(self._library.folder):
            with contextlib.suppress(OSError):  # removed since the glob: the next tick sees it
                info = path.stat()
                stamp.append((path.name, info.st_mtime_ns, info.st_size))
        return tuple(stamp)

    async def start(self) -> None:
        """Seed an empty database from the files; else serve what is published, with the
        files whose content is new published first (a redeploy that changed a flow)."""
        files, problems = await asyncio.to_thread(flow_sources, self._library.folder)
        for problem in problems:
            log.error("%s", problem)
        if not problems:
            self._library.adopt(flows=files)  # loaded from these files a moment ago
        async with self._database.transaction() as uow:
            newest = await uow.published.newest_of_each(KIND)
            self.served = {name: version.content for name, version in newest.items()}
            await self._publish_files(uow, files)
            self.applied = await uow.published.newest_id(KIND)
            newest = await uow.published.newest_of_each(KIND)
        await asyncio.to_thread(self._take, newest)

    async def _publish_files(self, uow: UnitOfWork, files: dict[str, str]) -> None:
        """The files whose content was never published under their name, "from files"."""
        new = {
            name: text
            for name, text in files.items()
            if not await uow.published.was_published(KIND, name, content_hash(text))
        }
        if new:
            published = await self.publish(uow, new, None, self._clock.now(), FILES)
            for problem in published.errors:
                log.error("flow file not published: %s", problem)
            self.from_files.update(published.versions)

    async def follow(self) -> None:
        """Every second: publish a flow file whose content is new; take versions published
        elsewhere."""
        stamp = await asyncio.to_thread(self._stat)
        if stamp != self._stamp:
            self._stamp = stamp
            files, problems = await asyncio.to_thread(flow_sources, self._library.folder)
            for problem in problems:
                log.error("%s", problem)
            async with self._database.transaction() as uow:
                await self._publish_files(uow, files)
        async with self._database.transaction() as uow:
            newest_id = await uow.published.newest_id(KIND)
            # Lower: this instance's own publish is not committed yet (nothing to take).
            if newest_id <= self.applied:
                return
            newest = await uow.published.newest_of_each(KIND)
        self.applied = newest_id
        await asyncio.to_thread(self._take, newest)

    def check(self, changed: dict[str, str]) -> Draft:
        """A draft: the flows served with `changed` (YAML by file name) in place, ready to
        run (the console's "try"), the catalogs they would publish, and every problem.
        Nothing is served or stored."""
        problems = [
            Problem(name, None, f"a flow's file name has at most {MAX_NAME} characters")
            for name in changed
            if len(name) > MAX_NAME
        ]
        flows = {**self.served, **changed}
        parsed, found = parse_flows(flows)
        if found or problems:
            return Draft(None, {}, problems + found)
        texts = [text for flow in parsed for text in flow.texts()]
        served = [text for flow in self._library.current.flows.values() for text in flow.texts()]
        catalogs = dict(self._library.catalog_texts)
        if sorted(texts) != sorted(served):  # merging nine catalogs takes a third of a second
            catalogs = {code: with_flow_texts(text, texts, code) for code, text in catalogs.items()}
        try:
            flowset, warnings = self._library.draft(flows, catalogs)
        except FlowError as error:
            return Draft(None, {}, error.problems)
        changed_catalogs = {
            code: text
            for code, text in catalogs.items()
            if text != self._library.catalog_texts.get(code)
        }
        return Draft(flowset, changed_catalogs, warnings)

    async def publish(
        self,
        uow: UnitOfWork,
        changed: dict[str, str],
        person_id: int | None,
        now: datetime,
        source: str = CONSOLE,
    ) -> Published:
        """New versions of these flow files (YAML by file name), checked with all the other
        flows; their texts merged into the published catalogs; served here at once."""
        changed = {name: text for name, text in changed.items() if self.served.get(name) != text}
        if not changed:
            return Published({}, [])
        draft = await asyncio.to_thread(self.check, changed)
        catalogs, problems = draft.catalogs, draft.problems
        if draft.flows is None:
            return Published({}, problems)
        versions = {}
        level = logging.INFO if source == CONSOLE else logging.DEBUG
        for name, text in sorted(changed.items()):
            version = await uow.published.publish(
                KIND, name, text, content_hash(text), source, person_id, now
            )
            log.log(level, "flow %s published as version %s (from %s)", name, version, source)
            versions[name] = version
        await self._catalogs.publish_merged(uow, catalogs, person_id, now, source)
        self.applied = max(self.applied, *versions.values())
        await asyncio.to_thread(self._serve, {**self.served, **changed}, catalogs)
        return Published(versions, problems)

    async def roll_back(
        self, uow: UnitOfWork, version_id: int, person_id: int, now: datetime
    ) -> Published:
        """An earlier version of a flow published again, as a new version (so the history
        keeps what was undone)."""
        version = await uow.published.get(version_id)
        if version is None or version.kind != KIND:
            return Published({}, [Problem("flows", None, "there is no such version")])
        return await self.publish(uow, {version.name: version.content}, person_id, now)

    def _take(self, newest: dict[str, Version]) -> None:
        texts = {name: version.content for name, version in newest.items()}
        if texts and texts != self._library.flow_texts:
            self._serve(texts)

    def _serve(self, texts: dict[str, str], catalogs: dict[str, str] | None = None) -> None:
        self.served = dict(texts)
        problems = self._library.use(texts, catalogs)
        if problems:  # valid when published: a newer bot may check more
            log.error("the published flows cannot be served: %s", problems[0])

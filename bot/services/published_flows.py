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
import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.i18n import with_flow_texts
from bot.services.clock import Clock
from bot.services.flow_library import FlowLibrary
from bot.services.published_catalogs import PublishedCatalogs
from flows.flowset import FlowSet
from flows.library import flow_paths, flow_sources, parse_flows
from flows.problems import ERROR, FlowError, Problem
from storage import Database, UnitOfWork
from storage.published import CONSOLE, FILES, Version, content_hash

log = logging.getLogger(__name__)

KIND = "flow"
MAX_NAME = 32  # the published table's name column
Stamp = tuple[tuple[str, int, int], ...]


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
    changed: dict[str, str]  # the flow files that differ from what was served (by name)
    base: dict[str, str]  # what was served when it was drafted
    catalogs: dict[str, str]
    problems: list[Problem]
    merged_into: dict[str, str] = field(default_factory=dict)  # the catalogs merged into


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
        self.problems: list[Problem] = []  # why the folder's newest files were not published
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
        if not problems:
            self._library.adopt(flows=files)  # loaded from these files a moment ago
        async with self._database.transaction() as uow:
            self.applied = await uow.published.newest_id(KIND)
            newest = await uow.published.newest_of_each(KIND)
        self.served = {name: version.content for name, version in newest.items()}
        await asyncio.to_thread(self._take, newest)  # drafts are checked against what serves
        await self._publish_files(files, problems)

    async def _publish_files(self, files: dict[str, str], unread: list[Problem]) -> None:
        """The files whose content was never published under their name, "from files";
        `unread`: the files that could not be read (refused unread, or gone)."""
        async with self._database.transaction() as uow:
            new = {
                name: text
                for name, text in files.items()
                if not await uow.published.was_published(KIND, name, content_hash(text))
            }
        self.problems = list(unread)
        if new:
            draft = await self.prepare(new)
            async with self._database.transaction() as uow:
                published = await self.publish(uow, draft, None, self._clock.now(), FILES)
            self.from_files.update(published.versions)
            self.problems += published.errors
        for problem in self.problems:
            # The problem's text is under 1 kB: no file is ever echoed into the log.
            log.error("flows not reloaded, the last good version keeps serving: %s", problem)

    async def follow(self) -> None:
        """Every second: publish a flow file whose content is new; take versions published
        elsewhere."""
        stamp = await asyncio.to_thread(self._stat)
        if stamp != self._stamp:
            self._stamp = stamp
            files, problems = await asyncio.to_thread(flow_sources, self._library.folder)
            await self._publish_files(files, problems)
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
        Nothing is served or stored. CPU-bound (a third of a second when the texts changed):
        run it in a thread (`prepare`), never inside a transaction."""
        base = dict(self.served)
        changed = {name: text for name, text in changed.items() if base.get(name) != text}
        problems = [
            Problem(name, None, f"a flow's file name has at most {MAX_NAME} characters")
            for name in changed
            if len(name) > MAX_NAME
        ]
        flows = {**base, **changed}
        parsed, found = parse_flows(flows)
        if found or problems:
            return Draft(None, changed, base, {}, problems + found)
        texts = [text for flow in parsed for text in flow.texts()]
        served = [text for flow in self._library.current.flows.values() for text in flow.texts()]
        catalogs = dict(self._library.catalog_texts)
        if sorted(texts) != sorted(served):  # merging nine catalogs takes a third of a second
            catalogs = {code: with_flow_texts(text, texts, code) for code, text in catalogs.items()}
        try:
            flowset, warnings = self._library.draft(flows, catalogs)
        except FlowError as error:
            return Draft(None, changed, base, {}, error.problems)
        changed_catalogs = {
            code: text
            for code, text in catalogs.items()
            if text != self._library.catalog_texts.get(code)
        }
        merged_into = {code: self._library.catalog_texts.get(code, "") for code in changed_catalogs}
        return Draft(flowset, changed, base, changed_catalogs, warnings, merged_into)

    async def prepare(self, changed: dict[str, str]) -> Draft:
        """`check` in a worker thread: the event loop goes on answering parents."""
        return await asyncio.to_thread(self.check, changed)

    def is_current(self, draft: Draft) -> bool:
        """Whether nothing it was drafted from (flows, catalogs) was published since."""
        catalogs = {code: self._library.catalog_texts.get(code, "") for code in draft.catalogs}
        return draft.base == self.served and draft.merged_into == catalogs

    async def publish(
        self,
        uow: UnitOfWork,
        draft: Draft,
        person_id: int | None,
        now: datetime,
        source: str = CONSOLE,
    ) -> Published:
        """A prepared draft's flow files as new versions, their texts merged into the
        published catalogs; served here at once. Refused when it has errors, or when other
        flows were published since it was prepared (prepare it again)."""
        if draft.flows is None:
            return Published({}, draft.problems)
        if not self.is_current(draft):
            meanwhile = "other flows or translations were published meanwhile: check again"
            return Published({}, [Problem("flows", None, meanwhile)])
        if not draft.changed:
            return Published({}, draft.problems)
        versions = {}
        level = logging.INFO if source == CONSOLE else logging.DEBUG
        for name, text in sorted(draft.changed.items()):
            version = await uow.published.publish(
                KIND, name, text, content_hash(text), source, person_id, now
            )
            log.log(level, "flow %s published as version %s (from %s)", name, version, source)
            versions[name] = version
        await self._catalogs.publish_merged(uow, draft.catalogs, person_id, now, source)
        self.applied = max(self.applied, *versions.values())
        self.served = {**draft.base, **draft.changed}
        self._library.take(draft.flows, draft.problems, self.served, draft.catalogs)
        return Published(versions, draft.problems)

    def _take(self, newest: dict[str, Version]) -> None:
        """Versions published elsewhere (or before this start), served here."""
        texts = {name: version.content for name, version in newest.items()}
        if not texts or texts == self._library.flow_texts:
            return
        self.served = texts
        problems = self._library.use(texts)
        if problems:  # valid when published: a newer bot may check more
            log.error("the published flows cannot be served: %s", problems[0])

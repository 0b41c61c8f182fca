"""The catalogs (the bot's words and the flows' texts, per language) as published in the
database: every instance serves the same translations, and a redeploy keeps the ones
edited at run time.

The same rule as the settings: whatever was published last wins. The files in locales/
seed an empty database; a .po file edited while the bot runs is published "from files". A
new release's catalogs bring new texts: at start, texts the database's version lacks are
added to it from the files (published "from files"), and no translation made at run time
is lost."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALES_DIR, Catalogs, _locale, is_flow_text
from bot.services.clock import Clock
from bot.services.flow_library import FlowLibrary
from storage import Database, UnitOfWork
from storage.published import CONSOLE, FILES, content_hash

log = logging.getLogger(__name__)

KIND = "catalog"
Stamp = tuple[int, int]


def with_new_texts(published: str, shipped: str, code: str) -> str | None:
    """The published catalog with the entries it lacks taken from the shipped one (a new
    release's texts); None when it lacks none. A flow text whose context is there already
    (a text published since) is not one it lacks."""
    ours = read_po(io.BytesIO(published.encode("utf-8")), locale=_locale(code))
    theirs = read_po(io.BytesIO(shipped.encode("utf-8")), locale=_locale(code))
    # A flow text is looked up by its context: one the console edited is not added back.
    flow_texts = {m.context for m in ours if m.id and is_flow_text(m.context)}
    missing = [
        m
        for m in theirs
        if m.id and ours.get(m.id, context=m.context) is None and m.context not in flow_texts
    ]
    if not missing:
        return None
    for message in missing:
        ours[message.id] = message  # (id, context) is the key Babel uses
    out = io.BytesIO()
    write_po(out, ours, width=100, sort_output=True, include_previous=False)
    return out.getvalue().decode("utf-8")


def translated_count(text: str, code: str) -> int:
    catalog = read_po(io.BytesIO(text.encode("utf-8")), locale=_locale(code))
    return sum(1 for m in catalog if m.id and m.string and not m.fuzzy)


# A catalog that would lose more of its translations than this is refused (a truncated or
# emptied file, a bare `pybabel update`): the parents would read Dutch instead.
MAX_LOSS = 0.1


@dataclass(frozen=True)
class Published:
    version: int | None
    problems: list[str]


class PublishedCatalogs:
    def __init__(
        self,
        catalogs: Catalogs,
        flows: FlowLibrary,
        database: Database,
        clock: Clock,
        locales: Path = LOCALES_DIR,
    ) -> None:
        self._catalogs = catalogs
        self._flows = flows
        self._database = database
        self._clock = clock
        self._locales = locales
        self.served: dict[str, str] = {}  # language → content hash served
        self.applied = 0  # the newest catalog version id this instance has seen
        self._stamps = self._stat_all()

    def _path(self, code: str) -> Path:
        return self._locales / code / "LC_MESSAGES" / f"{DOMAIN}.po"

    def _stat_all(self) -> dict[str, Stamp]:
        stamps = {}
        for code in self._catalogs.codes:
            with contextlib.suppress(OSError):
                info = self._path(code).stat()
                stamps[code] = (info.st_mtime_ns, info.st_size)
        return stamps

    def _file(self, code: str) -> str:
        return self._path(code).read_text(encoding="utf-8")

    async def start(self) -> None:
        """Seed an empty database from the files; else serve what is published, with the
        texts a new release brought added to it."""
        texts: dict[str, str] = {}
        files = {code: self._file(code) for code in self._catalogs.codes}
        now = self._clock.now()
        async with self._database.transaction() as uow:
            for code, shipped in files.items():
                newest = await uow.published.newest(KIND, code)
                if newest is None:
                    await self._publish(uow, code, shipped, FILES, None, now)
                    texts[code] = shipped
                    continue
                merged = with_new_texts(newest.content, shipped, code)
                if merged is not None:
                    await self._publish(uow, code, merged, FILES, None, now)
                texts[code] = merged or newest.content
            self.applied = await uow.published.newest_id(KIND)
        changed = {code: text for code, text in texts.items() if text != files[code]}
        # The database's, from now on: the same as the files, or loaded anew.
        self._flows.adopt(catalogs={c: t for c, t in texts.items() if c not in changed})
        self._serve(texts, changed)

    async def follow(self) -> None:
        """Every second: publish an edited .po file; take versions published elsewhere."""
        stamps = await asyncio.to_thread(self._stat_all)
        edited = [code for code, stamp in stamps.items() if self._stamps.get(code) != stamp]
        self._stamps = stamps
        for code in edited:
            text = await asyncio.to_thread(self._file, code)
            if content_hash(text) == self.served.get(code):
                continue
            async with self._database.transaction() as uow:
                published = await self.publish(uow, code, text, None, self._clock.now(), FILES)
            if published.problems:
                log.error("catalog %s not published: %s", code, "; ".join(published.problems))
        async with self._database.transaction() as uow:
            newest_id = await uow.published.newest_id(KIND)
            # Lower: this instance's own publish is not committed yet (nothing to take).
            if newest_id <= self.applied:
                return
            changed = {}
            for code in self._catalogs.codes:
                newest = await uow.published.newest(KIND, code)
                if newest is not None and newest.content_hash != self.served.get(code):
                    changed[code] = newest.content
        self.applied = newest_id
        self._serve(changed, changed)

    async def publish(
        self,
        uow: UnitOfWork,
        code: str,
        text: str,
        person_id: int | None,
        now: datetime,
        source: str = CONSOLE,
    ) -> Published:
        """A new version of one language's catalog, served by this instance at once."""
        try:
            kept = translated_count(text, code)
            served = translated_count(await self.newest_text(uow, code), code)
        except Exception as error:  # Babel raises several kinds for a broken file
            return Published(None, [f"not a readable catalog ({type(error).__name__})"])
        if kept < served * (1 - MAX_LOSS):
            return Published(None, [f"it would lose {served - kept} of {served} translations"])
        version = await self._publish(uow, code, text, source, person_id, now)
        self.applied = max(self.applied, version)
        self._serve({code: text}, {code: text})
        return Published(version, [])

    async def newest_text(self, uow: UnitOfWork, code: str) -> str:
        newest = await uow.published.newest(KIND, code)
        return newest.content if newest is not None else self._file(code)

    async def _publish(
        self,
        uow: UnitOfWork,
        code: str,
        text: str,
        source: str,
        person_id: int | None,
        now: datetime,
    ) -> int:
        version = await uow.published.publish(
            KIND, code, text, content_hash(text), source, person_id, now
        )
        level = logging.INFO if source == CONSOLE else logging.DEBUG
        log.log(level, "catalog %s published as version %s (from %s)", code, version, source)
        return version

    async def publish_merged(
        self,
        uow: UnitOfWork,
        texts: dict[str, str],
        person_id: int | None,
        now: datetime,
        source: str,
    ) -> None:
        """Catalogs the flows' new texts were merged into (PublishedFlows): published and
        served for the bot's words; the flows take them with their own new version."""
        for code, text in texts.items():
            version = await self._publish(uow, code, text, source, person_id, now)
            self.applied = max(self.applied, version)
        self._serve(texts, texts, reload_flows=False)

    def _serve(
        self, texts: dict[str, str], changed: dict[str, str], reload_flows: bool = True
    ) -> None:
        """`texts`: what is now served per language; `changed`: what differs from what the
        loaded catalogs and flows hold (only that is compiled and reloaded)."""
        for code, text in texts.items():
            self.served[code] = content_hash(text)
        if not changed:
            return
        self._catalogs.replace(changed)
        problems = self._flows.use(catalogs=changed) if reload_flows else []
        if problems:
            log.error("the flows did not take the new catalogs: %s", problems[0])

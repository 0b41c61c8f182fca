"""The flows in force, and the older versions running conversations still finish on."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.i18n import LOCALES_DIR
from flows.flowset import FlowSet, Translation
from flows.library import load_flowset
from flows.loader import flow_from_data
from flows.problems import FlowError, Problem
from storage import UnitOfWork

log = logging.getLogger(__name__)


class FlowLibrary:
    def __init__(
        self,
        folder: Path,
        languages: Callable[[], list[str]],
        rtl: frozenset[str],
        locales: Path = LOCALES_DIR,
    ) -> None:
        self._folder = folder
        self._languages = languages
        self._rtl = rtl
        self._locales = locales
        self.catalog_texts: dict[str, str] = {}  # published catalogs; else locales/'s files
        self.warnings: list[Problem] = []
        self.problems: list[Problem] = []  # errors of the last reload, which was refused
        # Reloads run in a worker thread (the heartbeat) or on the loop: one at a time.
        self._reloading = threading.Lock()
        self._stamp = self._files_stamp()
        self.current = self._load()  # a broken flow at start stops the bot (FlowError)
        self._versions = {self.current.version: self.current}

    def _files_stamp(self) -> tuple[tuple[str, int, int], ...]:
        """Which flow files and catalogs there are, when they changed and how large they are:
        from stat alone, so a huge file is never read to notice it."""
        files = [*self._folder.glob("*.yaml"), *self._locales.glob("*/LC_MESSAGES/*.po")]
        stamp = []
        for path in files:
            with contextlib.suppress(OSError):  # removed since the glob: the next tick sees it
                info = path.stat()
                stamp.append((str(path), info.st_mtime_ns, info.st_size))
        return tuple(sorted(stamp))

    def reload_if_changed(self) -> list[Problem]:
        """Called every second by the heartbeat, in a worker thread: an edit goes live
        without a restart, and parsing never blocks the event loop."""
        with self._reloading:
            stamp = self._files_stamp()
            if stamp == self._stamp:
                return []
            self._stamp = stamp
            return self._reload()

    def _load(self) -> FlowSet:
        flowset, warnings = load_flowset(
            self._folder, self._locales, self._languages(), self._rtl, self.catalog_texts
        )
        self.warnings = warnings
        for warning in warnings:
            log.warning("%s", warning)
        return flowset

    def use_catalogs(self, texts: dict[str, str]) -> list[Problem]:
        """Serve the flows with these published catalogs' translations (by language)."""
        with self._reloading:
            self.catalog_texts = {**self.catalog_texts, **texts}
            return self._reload()

    def reload(self) -> list[Problem]:
        """Load the flows again; on errors the last good version keeps serving."""
        with self._reloading:
            return self._reload()

    def _reload(self) -> list[Problem]:
        try:
            flowset = self._load()
        except FlowError as error:
            # The error's text is a summary under 1 kB: no file is ever echoed into the log.
            log.error("flows not reloaded, the last good version keeps serving: %s", error)
            self.problems = error.problems
            return error.problems
        # Readers on the loop see the old set or the new one, each whole: one assignment each.
        self._versions[flowset.version] = flowset
        self.current = flowset
        self.problems = []
        log.info("flows reloaded: version %s", flowset.version)
        return []

    async def remember_current(self, uow: UnitOfWork, now: datetime) -> None:
        """Store the version conversations start on; the snapshot is built only once."""
        current = self.current
        if not await uow.flow_versions.known(current.version):
            snapshot = json.dumps(current.snapshot(), sort_keys=True, ensure_ascii=False)
            await uow.flow_versions.remember(current.version, snapshot, now)

    async def version(self, uow: UnitOfWork, version: str) -> FlowSet | None:
        """A version by hash: from memory, or rebuilt from the snapshot stored with it."""
        found = self._versions.get(version)
        if found is not None:
            return found
        snapshot = await uow.flow_versions.get(version)
        if snapshot is None:
            return None
        data = json.loads(snapshot)
        flows = {}
        for name, source in data["flows"].items():
            flow, _ = flow_from_data(source, f"{name} (version {version})")
            if flow is not None:
                flows[name] = flow
        translations = {
            lang: {ctxt: Translation(text, fuzzy) for ctxt, (text, fuzzy) in table.items()}
            for lang, table in data["translations"].items()
        }
        rebuilt = FlowSet(flows, translations, frozenset(data["rtl"]))
        self._versions[version] = rebuilt
        return rebuilt

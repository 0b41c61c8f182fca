"""The flows in force, and the older versions running conversations still finish on."""

from __future__ import annotations

import json
import logging
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
        self.warnings: list[Problem] = []
        self.problems: list[Problem] = []  # errors of the last reload, which was refused
        self._stamp = self._files_stamp()
        self.current = self._load()  # a broken flow at start stops the bot (FlowError)
        self._versions = {self.current.version: self.current}

    def _files_stamp(self) -> tuple[float, ...]:
        """When the flow files and the catalogs last changed."""
        files = [*self._folder.glob("*.yaml"), *self._locales.glob("*/LC_MESSAGES/*.po")]
        return tuple(sorted(path.stat().st_mtime for path in files))

    def reload_if_changed(self) -> list[Problem]:
        """Called every second by the heartbeat: an edit goes live without a restart."""
        stamp = self._files_stamp()
        if stamp == self._stamp:
            return []
        self._stamp = stamp
        return self.reload()

    def _load(self) -> FlowSet:
        flowset, warnings = load_flowset(self._folder, self._locales, self._languages(), self._rtl)
        self.warnings = warnings
        for warning in warnings:
            log.warning("%s", warning)
        return flowset

    def reload(self) -> list[Problem]:
        """Load the flows again; on errors the last good version keeps serving."""
        try:
            flowset = self._load()
        except FlowError as error:
            log.error("flows not reloaded, the last good version keeps serving: %s", error)
            self.problems = error.problems
            return error.problems
        self.problems = []
        self.current = flowset
        self._versions[flowset.version] = flowset
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

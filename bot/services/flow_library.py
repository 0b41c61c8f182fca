"""The flows in force, and the older versions running conversations still finish on."""

from __future__ import annotations

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
        self.flow_texts: dict[str, str] | None = None  # published flows; else the folder's
        self.warnings: list[Problem] = []
        self.problems: list[Problem] = []  # errors of the last reload, which was refused
        # Reloads run in a worker thread (the heartbeat) or on the loop: one at a time.
        self._reloading = threading.Lock()
        self.current = self._load()  # a broken flow at start stops the bot (FlowError)
        self._versions = {self.current.version: self.current}

    @property
    def folder(self) -> Path:
        return self._folder

    def _load(self) -> FlowSet:
        flowset, warnings = self.draft(self.flow_texts, self.catalog_texts)
        self.warnings = warnings
        for warning in warnings:
            log.warning("%s", warning)
        return flowset

    def draft(
        self, flows: dict[str, str] | None, catalogs: dict[str, str] | None = None
    ) -> tuple[FlowSet, list[Problem]]:
        """These flows (YAML by file name; None: the folder's files) with these catalogs
        (.po by language; None: those served), checked and ready to run, and the warnings;
        errors raise FlowError. Nothing is served: a console draft is tried this way."""
        texts = self.catalog_texts if catalogs is None else catalogs
        return load_flowset(self._folder, self._locales, self._languages(), self._rtl, texts, flows)

    def use(
        self, flows: dict[str, str] | None = None, catalogs: dict[str, str] | None = None
    ) -> list[Problem]:
        """Serve these published flows (YAML by file name) and catalogs (.po by language)
        in place of what is served; either may be left as it is."""
        with self._reloading:
            new_flows = self.flow_texts if flows is None else dict(flows)
            new_catalogs = {**self.catalog_texts, **(catalogs or {})}
            if new_flows == self.flow_texts and new_catalogs == self.catalog_texts:
                return []  # what is served already
            return self._reload(new_flows, new_catalogs)

    def adopt(
        self, flows: dict[str, str] | None = None, catalogs: dict[str, str] | None = None
    ) -> None:
        """The files' flows or catalogs, as just read: what was loaded from them at start,
        now known by their texts (so serving the same texts reloads nothing)."""
        with self._reloading:
            if self.flow_texts is None and flows is not None:
                self.flow_texts = dict(flows)
            self.catalog_texts = {**self.catalog_texts, **(catalogs or {})}

    def reload(self) -> list[Problem]:
        """Load the flows again; on errors the last good version keeps serving."""
        with self._reloading:
            return self._reload(self.flow_texts, self.catalog_texts)

    def _reload(self, flows: dict[str, str] | None, catalogs: dict[str, str]) -> list[Problem]:
        try:
            flowset, warnings = self.draft(flows, catalogs)
        except FlowError as error:
            # The error's text is a summary under 1 kB: no file is ever echoed into the log.
            log.error("flows not reloaded, the last good version keeps serving: %s", error)
            self.problems = error.problems
            return error.problems
        self._take(flowset, warnings, flows, catalogs)
        return []

    def take(
        self,
        flowset: FlowSet,
        warnings: list[Problem],
        flows: dict[str, str],
        catalogs: dict[str, str],
    ) -> None:
        """Serve a set drafted (and checked) from these flows and catalogs."""
        with self._reloading:
            catalogs = {**self.catalog_texts, **catalogs}
            if flowset.version == self.current.version:  # the same content: nothing new
                self.flow_texts, self.catalog_texts = flows, catalogs
                return
            self._take(flowset, warnings, flows, catalogs)

    def _take(
        self,
        flowset: FlowSet,
        warnings: list[Problem],
        flows: dict[str, str] | None,
        catalogs: dict[str, str],
    ) -> None:
        self.flow_texts, self.catalog_texts, self.warnings = flows, catalogs, warnings
        for warning in warnings:
            log.warning("%s", warning)
        # Readers on the loop see the old set or the new one, each whole: one assignment each.
        self._versions[flowset.version] = flowset
        self.current = flowset
        self.problems = []
        log.info("flows reloaded: version %s", flowset.version)

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

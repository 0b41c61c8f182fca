"""The coordinator's settings file (settings.yaml beside the flows): validated, reloadable.

An invalid file names each bad line; on reload the last good settings keep serving.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.services.languages import LANGUAGES
from flows.durations import parse_duration

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.yaml"
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(_Strict):
    name: str
    phone: str | None = None
    email: str | None = None
    website: str | None = None


class QuietHours(_Strict):
    """No check-in reaches a parent between start and end (local time, may cross midnight)."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def until(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """When the quiet hours around `moment` end (in UTC), or None if it is not quiet."""
        local = moment.astimezone(zone)
        if not self.contains(local.time()):
            return None
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, zone).astimezone(moment.tzinfo)


class Timings(_Strict):
    delivery_give_up: Duration = timedelta(days=1)
    invite_valid: Duration = timedelta(days=7)
    offer_timeout: Duration = timedelta(hours=12)


class Cases(_Strict):
    max_open_per_parent: int = Field(default=2, ge=1, le=10)


class Urgent(_Strict):
    """The ladder of an urgent case, counted from when the parent passed it on."""

    first_wave: int = Field(default=3, ge=1, le=20)  # VPs offered it at once
    everyone_after: Duration = timedelta(hours=4)  # then every matching VP
    coordinator_after: Duration = timedelta(hours=24)  # then a coordinator assigns by hand
    breach_after: Duration = timedelta(hours=48)  # no VP in contact by then: a breach

    @model_validator(mode="after")
    def _in_order(self) -> Urgent:
        if not self.everyone_after < self.coordinator_after < self.breach_after:
            raise ValueError(
                "the steps must come in order: everyone_after < coordinator_after < breach_after"
            )
        return self


class FollowUps(_Strict):
    """Check-ins written as flows (checkin.yaml, satisfaction.yaml); delays from acceptance,
    or from closing for the satisfaction question (leave it out to ask none)."""

    checkin_after: Duration = timedelta(days=3)
    vp_reminder_after: Duration = timedelta(days=1)  # the VP has not written to the parent
    mediate_after: Duration = timedelta(days=2)  # after "not yet": the coordinator mediates
    satisfaction_after: Duration | None = timedelta(days=1)


class Retention(_Strict):
    closed_cases: Duration = timedelta(days=90)
    idle_conversations: Duration = timedelta(days=30)
    audit_log: Duration = timedelta(days=365)
    processed_updates: Duration = timedelta(days=7)
    sent_messages: Duration = timedelta(days=7)
    finished_tasks: Duration = timedelta(days=30)


class CoordinatorSettings(_Strict):
    version: Literal[1]
    organisation: Organisation
    languages: list[str]
    quiet_hours: QuietHours = QuietHours()
    timings: Timings = Timings()
    cases: Cases = Cases()
    urgent: Urgent = Urgent()
    follow_ups: FollowUps = FollowUps()
    retention: Retention = Retention()

    @field_validator("languages")
    @classmethod
    def _supported(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if code not in LANGUAGES]
        if unknown:
            raise ValueError(
                f"no catalog for {', '.join(unknown)}; choose from {', '.join(LANGUAGES)}"
            )
        if not value:
            raise ValueError("enable at least one language")
        return value


class SettingsFileError(Exception):
    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.problems = problems


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the value at `loc`, or of the nearest parent that exists."""
    node, line = root, (root.start_mark.line + 1 if root else None)
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == key]
            if not match:
                return line
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def parse_settings(text: str, path: Path) -> CoordinatorSettings:
    try:
        root = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise SettingsFileError(path, [f"{where}: not valid YAML ({error})"]) from None
    try:
        return CoordinatorSettings.model_validate(data if data is not None else {})
    except ValidationError as error:
        problems = []
        for issue in error.errors():
            loc = tuple(issue["loc"])
            field = ".".join(str(part) for part in loc) or "(top)"
            reason = str(issue["msg"]).removeprefix("Value error, ")
            line = _line_of(root, loc)
            problems.append(f"line {line} ({field}): {reason}")
        raise SettingsFileError(path, problems) from None


class SettingsFile:
    """The current coordinator settings; an invalid file at start stops it, on reload not."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / SETTINGS_FILE
        self.current = self._load()
        self.problems: list[str] = []  # of the last reload; empty when it was taken
        self._mtime = self._stat()

    def _stat(self) -> float:
        return self.path.stat().st_mtime if self.path.exists() else 0.0

    def _load(self) -> CoordinatorSettings:
        if not self.path.exists():
            raise SettingsFileError(self.path, ["file not found"])
        return parse_settings(self.path.read_text(encoding="utf-8"), self.path)

    def reload(self) -> list[str]:
        """Load the file again; returns the problems, if any, and keeps the old settings then."""
        self._mtime = self._stat()
        try:
            self.current = self._load()
        except SettingsFileError as error:
            log.error("settings not reloaded, the last good ones stay: %s", error)
            self.problems = error.problems
            return self.problems
        log.info("settings reloaded from %s", self.path)
        self.problems = []
        return []

    def reload_if_changed(self) -> list[str]:
        return self.reload() if self._stat() != self._mtime else []

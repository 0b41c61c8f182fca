"""The coordinator's settings file (settings.yaml beside the flows): validated, reloadable.

An invalid file names each bad line; on reload the last good settings keep serving.
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
import unicodedata
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
from bot.services.staff import TOPICS
from flows.durations import parse_duration
from flows.guard import Refused, read_bounded, screen
from flows.problems import clip, summary

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.yaml"
MAX_PROBLEMS = 20  # listed of one file; the rest are counted
MAX_PROBLEM_BYTES = 300  # one problem: a key or a quoted value is cut, never echoed whole
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
    breach_repeat: Duration = timedelta(hours=4)  # the breach alert again, until contact

    @model_validator(mode="after")
    def _in_order(self) -> Urgent:
        if not self.everyone_after < self.coordinator_after < self.breach_after:
            raise ValueError(
                "the steps must come in order: everyone_after < coordinator_after < breach_after"
            )
        if self.breach_repeat <= timedelta(0):
            raise ValueError("breach_repeat must be longer than 0s")
        return self


class FollowUps(_Strict):
    """Check-ins written as flows (checkin.yaml, satisfaction.yaml); delays from acceptance,
    or from closing for the satisfaction question (leave it out to ask none)."""

    checkin_after: Duration = timedelta(days=3)
    vp_reminder_after: Duration = timedelta(days=1)  # the VP has not written to the parent
    mediate_after: Duration = timedelta(days=2)  # after "not yet": the coordinator mediates
    satisfaction_after: Duration | None = timedelta(days=1)


class Referrals(_Strict):
    """A case referred to a partner (#17): the parent is asked whether care started, in the
    referral flow (referral.yaml), never during quiet hours."""

    # The check-in: this long after the appointment day starts, at checkin_at local time
    # (1d: the day after the appointment, at 10:00).
    checkin_after_appointment: Duration = timedelta(days=1)
    checkin_at: time = time(10, 0)
    checkin_without_date: Duration = timedelta(days=14)  # no appointment date given
    ask_again_after: Duration = timedelta(days=3)  # after "not yet"; a second one: mediation
    no_answer_after: Duration = timedelta(days=7)  # a check-in nobody answered: closed

    @model_validator(mode="after")
    def _positive(self) -> Referrals:
        if min(self.checkin_without_date, self.ask_again_after, self.no_answer_after) <= timedelta(
            0
        ):
            raise ValueError(
                "checkin_without_date, ask_again_after and no_answer_after must be longer than 0s"
            )
        return self


class Retention(_Strict):
    closed_cases: Duration = timedelta(days=90)
    idle_conversations: Duration = timedelta(days=30)
    audit_log: Duration = timedelta(days=365)
    processed_updates: Duration = timedelta(days=7)
    sent_messages: Duration = timedelta(days=7)
    finished_tasks: Duration = timedelta(days=30)


class Flood(_Strict):
    """How fast one person (parent or staff) may write: `burst` messages at once, then
    `sustained` per `per`; beyond it one kind notice per `notice_every` and otherwise quiet."""

    burst: int = Field(default=10, ge=1, le=1000)
    sustained: int = Field(default=20, ge=1, le=10_000)
    per: Duration = timedelta(minutes=1)
    notice_every: Duration = timedelta(minutes=1)

    @property
    def pace(self) -> timedelta:
        """The time between two messages at the sustained rate."""
        return self.per / self.sustained

    @model_validator(mode="after")
    def _positive(self) -> Flood:
        if self.per <= timedelta(0) or self.notice_every <= timedelta(0):
            raise ValueError("per and notice_every must be longer than 0s")
        return self


class Matching(_Strict):
    """Per topic, VPs of this gender (f or m) are offered the case first: a ranking preference,
    never a filter, and the parent's own answer ("no preference" too) overrides it."""

    preferred_gender: dict[str, Literal["f", "m"]] = Field(default_factory=dict)

    @field_validator("preferred_gender")
    @classmethod
    def _known_topics(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = [topic for topic in value if topic not in TOPICS]
        if unknown:
            raise ValueError(f"no topic {', '.join(unknown)}; choose from {', '.join(TOPICS)}")
        return value


class Console(_Strict):
    """The coordinators' web console: how long a login link from /console works, and when a
    session ends (idle since its last page, or since the login whatever happens)."""

    link_valid: Duration = timedelta(minutes=10)
    idle_after: Duration = timedelta(minutes=30)
    session_max: Duration = timedelta(hours=12)

    @model_validator(mode="after")
    def _sensible(self) -> Console:
        if min(self.link_valid, self.idle_after, self.session_max) <= timedelta(0):
            raise ValueError("link_valid, idle_after and session_max must be longer than 0s")
        if self.idle_after > self.session_max:
            raise ValueError("idle_after cannot be longer than session_max")
        return self


# The local map of services: what a VP may refer a family to (issue 17).
PARTNER_KINDS = ("cjg", "wijkteam", "huisarts", "jeugdzorg", "school", "debt_help", "other")
MAX_PARTNERS = 200
MAX_PARTNER_ID = 40
MAX_PARTNER_TEXT = 120  # a name, a contact person
MAX_CONTACT_TEXT = 200  # an address, a website, an email address
MAX_PHONE = 30
PARTNER_ID = re.compile(r"[a-z0-9_]+")
PHONE = re.compile(r"\+?[0-9][0-9 ()./-]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
WEBSITE = re.compile(r"https?://[^\s/]+\.[^\s]+", re.IGNORECASE)


def _plain_line(value: str, limit: int) -> str:
    """One line of plain text, at most `limit` characters: no control characters, no markup
    that a chat would render (these are shown to parents and VPs as they are)."""
    value = value.strip()
    if not value:
        raise ValueError("write something, or leave the field out")
    if len(value) > limit:
        raise ValueError(f"write at most {limit} characters")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in value):
        raise ValueError("write plain text on one line")
    if any(char in "<>" for char in value):
        raise ValueError("write plain text, without < or >")
    return value


class Contact(_Strict):
    """A partner's public contact details, each optional: what a VP may pass on to a family."""

    phone: str | None = None
    address: str | None = None
    website: str | None = None
    email: str | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _plain_line(value, MAX_PHONE)
        if not PHONE.fullmatch(value):
            raise ValueError("write a phone number with digits, like +31 20 123 4567")
        return value

    @field_validator("address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return None if value is None else _plain_line(value, MAX_CONTACT_TEXT)

    @field_validator("website")
    @classmethod
    def _website(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _plain_line(value, MAX_CONTACT_TEXT)
        if not WEBSITE.fullmatch(value):
            raise ValueError("write a web address that starts with https://")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _plain_line(value, MAX_CONTACT_TEXT)
        if not EMAIL.fullmatch(value):
            raise ValueError("write an email address like info@cjg.example")
        return value


class Partner(_Strict):
    """An organisation of the local map of services: its kind, the languages it can serve
    in, its public contact details and, when it has one, a fixed contact person."""

    id: str
    name: str
    kind: Literal["cjg", "wijkteam", "huisarts", "jeugdzorg", "school", "debt_help", "other"]
    languages: list[str] = Field(default_factory=list)
    contact: Contact = Contact()
    contact_person: str | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if len(value) > MAX_PARTNER_ID or not PARTNER_ID.fullmatch(value):
            raise ValueError(
                f"write at most {MAX_PARTNER_ID} characters a-z, 0-9 and _, like cjg_zuidoost"
            )
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _plain_line(value, MAX_PARTNER_TEXT)

    @field_validator("contact_person")
    @classmethod
    def _person(cls, value: str | None) -> str | None:
        return None if value is None else _plain_line(value, MAX_PARTNER_TEXT)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if code not in LANGUAGES]
        if unknown:
            raise ValueError(
                f"no language {', '.join(unknown)}; choose from {', '.join(LANGUAGES)}"
            )
        if len(set(value)) != len(value):
            raise ValueError("name each language once")
        return value


class CoordinatorSettings(_Strict):
    version: Literal[1]
    organisation: Organisation
    languages: list[str]
    quiet_hours: QuietHours = QuietHours()
    timings: Timings = Timings()
    cases: Cases = Cases()
    urgent: Urgent = Urgent()
    follow_ups: FollowUps = FollowUps()
    referrals: Referrals = Referrals()
    retention: Retention = Retention()
    flood: Flood = Flood()
    matching: Matching = Matching()
    console: Console = Console()
    partners: list[Partner] = Field(default_factory=list, max_length=MAX_PARTNERS)

    @field_validator("partners")
    @classmethod
    def _unique(cls, value: list[Partner]) -> list[Partner]:
        ids = [partner.id for partner in value]
        twice = sorted({code for code in ids if ids.count(code) > 1})
        if twice:
            raise ValueError(
                f"each partner needs its own id; used more than once: {', '.join(twice)}"
            )
        return value

    def partner(self, partner_id: str) -> Partner | None:
        return next((p for p in self.partners if p.id == partner_id), None)

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
    """Why a settings file was not taken: a few short problems, so a log line stays under 1 kB."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        shown = [clip(problem, MAX_PROBLEM_BYTES) for problem in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"and {len(problems) - MAX_PROBLEMS} more problems")
        super().__init__(f"{clip(str(path), 200)}: {summary(shown, 600)}")
        self.problems = shown


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


def _did_you_mean(loc: tuple[int | str, ...]) -> str:
    """For a misspelled key: the known key it most resembles ("; did you mean email?")."""
    model: type[BaseModel] = CoordinatorSettings
    for part in loc[:-1]:
        if isinstance(part, int):
            continue  # an item of a list: the list's own model
        field = model.model_fields.get(part)
        if field is None:
            return ""
        inner = [field.annotation, *getattr(field.annotation, "__args__", ())]
        found = [t for t in inner if isinstance(t, type) and issubclass(t, BaseModel)]
        if not found:  # list[Partner], Partner | None: the model inside
            return ""
        model = found[0]
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f"; did you mean {close[0]}?" if close else ""


def parse_settings(text: str, path: Path) -> CoordinatorSettings:
    try:
        screen(text)  # before anything is built: size, anchors and aliases, nesting
    except Refused as refusal:
        raise SettingsFileError(path, [f"refused: {refusal}"]) from None
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()  # composed once: for the data and for line numbers
        data: Any = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        why = getattr(error, "problem", None) or type(error).__name__  # one line, no snippet
        raise SettingsFileError(path, [f"{where}: not valid YAML ({why})"]) from None
    finally:
        loader.dispose()
    try:
        return CoordinatorSettings.model_validate(data if data is not None else {})
    except ValidationError as error:
        problems = []
        for issue in error.errors():
            loc = tuple(issue["loc"])
            field = ".".join(str(part) for part in loc) or "(top)"
            reason = str(issue["msg"]).removeprefix("Value error, ")
            if issue["type"] == "extra_forbidden":
                reason += _did_you_mean(loc)
            line = _line_of(root, loc)
            problems.append(f"line {line} ({field}): {reason}")
        raise SettingsFileError(path, problems) from None


class SettingsFile:
    """The current coordinator settings; an invalid file at start stops it, on reload not."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / SETTINGS_FILE
        # Reloads run in a worker thread (the heartbeat) or on the loop: one at a time.
        self._reloading = threading.Lock()
        self._stamp = self._stat()  # before reading: an edit made meanwhile is seen next time
        self.text = self._read()
        self.current = parse_settings(self.text, self.path)
        self.problems: list[str] = []  # of the last reload; empty when it was taken

    def _stat(self) -> tuple[int, int]:
        """When the file changed and its size, from stat alone: a huge file is never read."""
        try:
            info = self.path.stat()
        except OSError:
            return (0, 0)
        return (info.st_mtime_ns, info.st_size)

    def _read(self) -> str:
        if not self.path.exists():
            raise SettingsFileError(self.path, ["file not found"])
        try:
            return read_bounded(self.path)  # too large a file is refused unread
        except Refused as refusal:
            raise SettingsFileError(self.path, [f"refused: {refusal}"]) from None
        except OSError as error:
            raise SettingsFileError(self.path, [f"could not be read ({error.strerror})"]) from None

    def apply(self, text: str, origin: str) -> list[str]:
        """Serve the settings written in `text` (a published version); its problems, if
        any, and then the current ones stay."""
        with self._reloading:
            try:
                settings = parse_settings(text, self.path)
            except SettingsFileError as error:
                log.error("settings from %s not taken, the last good ones stay: %s", origin, error)
                return error.problems
            self.text, self.current = text, settings
            log.info("settings taken from %s", origin)
            return []

    def reload(self) -> list[str]:
        """Load the file again; returns the problems, if any, and keeps the old settings then."""
        with self._reloading:
            return self._reload()

    def _reload(self) -> list[str]:
        self._stamp = self._stat()
        try:
            text = self._read()
            settings = parse_settings(text, self.path)
        except SettingsFileError as error:
            # The error's text is a summary under 1 kB: no file is ever echoed into the log.
            log.error("settings not reloaded, the last good ones stay: %s", error)
            self.problems = error.problems
            return self.problems
        self.text, self.current = text, settings  # readers see the old settings or the new
        log.info("settings reloaded from %s", self.path)
        self.problems = []
        return []

    def edited(self) -> str | None:
        """The file's new text when it was edited since last time and is valid (it is then
        served); None otherwise. Every second, in a worker thread (PublishedSettings)."""
        with self._reloading:
            if self._stat() == self._stamp:
                return None
            return None if self._reload() else self.text

"""Any update, from anyone, is handled: Hypothesis generates updates of every type the bot
allows, with arbitrary texts, captions, commands and button data, for a parent (one of them
in a case), a vertrouwenspersoon and a coordinator.

For each: no exception escapes, the update is committed (its id is in processed_update), and
whoever is owed a reply gets one in the outbox. One bot serves every example (initialised
once against the local Bot API); each example is processed by the real UpdateProcessor with
a fresh update_id, on SQLite. A fixed seed (derandomize) makes a failure reproduce.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from telegram import Update

from bot.runtime import open_core
from bot.services.turn import ANSWER_CALLBACK, LEAVE_CHAT
from bot.settings import DEFAULT_FLOWS_DIR
from bot.telegram import TelegramBot
from storage.people import Profile
from storage.tables import OutboxMessage
from tests.bot.services.world import World, a_case_accepted, join
from tests.botapi import FakeBotApi
from tests.live import migrated, settings_for

EXAMPLES = 2000  # the issue asks for at least 2,000 in CI
PARENT_IN_CASE, OTHER_PARENTS = 5001, (5002, 5003)
VP, COORDINATOR = 6001, 6002
CHANNEL_ID, GROUP_ID = -1001234567890, -4001
DATE = 1_790_000_000
NUMBERISH = ["", "0", "1", "2", "3", "²", "¹²", "٣", "３", "-1", "1.5", "99999999999999999999"]
COMMANDS = [
    *("start", "stop", "forget", "language", "help", "share", "capacity", "name", "away"),
    *("available", "cases", "close", "block", "duo", "vps", "urgent", "deactivate"),
    *("activate", "reassign", "case", "unknown_command"),
    *("note", "refer", "appointment", "step", "summary"),
]
PREFIXES = ["offer", "close", "outcome", "block", "duo", "relay", "share", "consent", "assign"]
PREFIXES += ["card", "refer", "when", "askref", "pro", "proend"]
PREFIXES += ["lang", "forget", "f"]  # "f" is a flow button: f<step>.<index>.<signature>

ROW = OutboxMessage.__table__.c  # type: ignore[attr-defined]


# --- what people send -------------------------------------------------------------------

texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=120)
# Numbers as people write them: ASCII, superscript (² is a digit to str.isdigit, not to
# int), Arabic-Indic, full-width, too long, or anything at all.
numberish = st.one_of(
    st.sampled_from(NUMBERISH),
    st.integers(-5, 10**12).map(str),
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=4),
    texts,
)
command_names = st.one_of(
    st.sampled_from(COMMANDS), st.from_regex(r"[A-Za-z0-9_]{1,40}", fullmatch=True)
)
commands = st.one_of(
    st.sampled_from(["/", "/ ", "/ help", "/стоп", "//", "/start@tussenin_test_bot"]),
    st.builds(lambda name, arg: f"/{name} {arg}", command_names, numberish),
    st.builds(lambda name, a, b: f"/{name} {a} {b}", command_names, texts, numberish),
    st.builds(lambda name: f"/{name}", command_names),
    st.builds(lambda tail: f"/{tail}", texts),
)
free_texts = st.one_of(texts.filter(lambda t: t.strip() != ""), numberish)
button_data = st.one_of(
    st.builds(
        lambda prefix, parts, sep: prefix + sep.join(parts),
        st.sampled_from([f"{p}:" for p in PREFIXES[:-1]] + ["f"]),
        st.lists(numberish, min_size=1, max_size=4),
        st.sampled_from([":", "."]),
    ),
    st.builds(lambda step, index, sign: f"f{step}.{index}.{sign}", numberish, numberish, texts),
    st.sampled_from(["forget:no", "lang:nl", "lang:xx", "f", "f..", "offer::", ""]),
    texts,
    st.text(max_size=80),  # beyond Telegram's 64 bytes too
)


@dataclass(frozen=True)
class Person:
    id: int
    language_code: str | None

    @property
    def user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": "Someone"}
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": "Someone"}


people = st.builds(
    Person,
    st.sampled_from([PARENT_IN_CASE, *OTHER_PARENTS, VP, COORDINATOR]),
    st.sampled_from([None, "nl", "ar", "en-GB", "pt-br", "zz", "²"]),
)
_media = {
    "voice": st.just({"file_id": "v1", "file_unique_id": "uv1", "duration": 3}),
    "photo": st.just([{"file_id": "p1", "file_unique_id": "up1", "width": 9, "height": 9}]),
    "contact": st.builds(
        lambda name: {"phone_number": "+31600000000", "first_name": name or "x"}, texts
    ),
    "location": st.just({"latitude": 52.37, "longitude": 4.89}),
    "document": st.just({"file_id": "d1", "file_unique_id": "ud1", "file_name": "a.pdf"}),
    "sticker": st.just(
        {
            "file_id": "s1",
            "file_unique_id": "us1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    ),
}
contents = st.one_of(
    st.builds(lambda text: {"text": text}, commands),
    st.builds(lambda text: {"text": text}, free_texts),
    *(st.builds(lambda v, k=kind: {k: v}, strategy) for kind, strategy in _media.items()),
    st.builds(lambda text: {"caption": text, "photo": _PHOTO}, texts),
    st.builds(lambda text: {"caption": text, "voice": _VOICE}, texts),
)
_PHOTO = [{"file_id": "p1", "file_unique_id": "up1", "width": 9, "height": 9}]
_VOICE = {"file_id": "v1", "file_unique_id": "uv1", "duration": 3}


@dataclass(frozen=True)
class Sent:
    """One generated update, without its update_id; `owed` is whose chat must get a reply."""

    kind: str
    body: dict[str, Any]
    owed: tuple[int, ...] = ()
    answered: int | None = None  # a button press: this user's callback must be answered
    leaves: int | None = None  # the bot must leave this chat


def _message(person: Person, content: dict[str, Any]) -> Sent:
    message = {"message_id": 1, "date": DATE, "chat": person.chat, "from": person.user}
    text = content.get("text", "")
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return Sent("message", {**message, **content}, owed=(person.id,))


def _edit(person: Person, text: str) -> Sent:
    message = {"message_id": 1, "date": DATE, "edit_date": DATE + 1, "text": text}
    return Sent("edited_message", {**message, "chat": person.chat, "from": person.user})


def _press(person: Person, data: str, with_message: bool) -> Sent:
    query: dict[str, Any] = {"id": "cb1", "from": person.user, "chat_instance": "1", "data": data}
    if with_message:
        query["message"] = {
            "message_id": 2,
            "date": DATE,
            "chat": person.chat,
            "from": {"id": 123456, "is_bot": True, "first_name": "Tussen In"},
            "text": "?",
        }
    return Sent("callback_query", query, owed=(person.id,), answered=person.id)


def _membership(person: Person, old: str, new: str) -> Sent:
    change = {
        "chat": person.chat,
        "from": person.user,
        "date": DATE,
        "old_chat_member": _member(old),
        "new_chat_member": _member(new),
    }
    return Sent("my_chat_member", change)


def _member(status: str) -> dict[str, Any]:
    bot = {"id": 123456, "is_bot": True, "first_name": "Tussen In"}
    return {"user": bot, "status": status, **({"until_date": 0} if status == "kicked" else {})}


def _channel_post(text: str) -> Sent:
    chat = {"id": CHANNEL_ID, "type": "channel", "title": "A channel"}
    return Sent(
        "channel_post",
        {"message_id": 3, "date": DATE, "chat": chat, "text": text or "x"},
        leaves=CHANNEL_ID,
    )


def _group_message(person: Person, text: str) -> Sent:
    chat = {"id": GROUP_ID, "type": "group", "title": "A group"}
    message = {
        "message_id": 4,
        "date": DATE,
        "chat": chat,
        "from": person.user,
        "text": text or "x",
    }
    return Sent("message", message, leaves=GROUP_ID)


messages = st.builds(_message, people, contents)
presses = st.builds(_press, people, button_data, st.booleans())
updates = st.one_of(
    messages,
    presses,
    st.builds(_message, people, st.builds(lambda text: {"text": text}, commands)),
    presses,
    st.builds(_edit, people, st.one_of(commands, free_texts)),
    st.builds(
        _membership,
        people,
        st.sampled_from(["member", "kicked"]),
        st.sampled_from(["member", "kicked"]),
    ),
    st.builds(_channel_post, texts),
    st.builds(_group_message, people, st.one_of(commands, free_texts)),
)


# --- one bot for every example ----------------------------------------------------------


@dataclass
class Stage:
    runner: asyncio.Runner
    telegram: TelegramBot
    ids: Iterator[int]

    def handle(self, sent: Sent) -> list[tuple[str, str]]:
        return self.runner.run(self._handle(sent))

    async def _handle(self, sent: Sent) -> list[tuple[str, str]]:
        """Process one update; returns (recipient, kind) of everything it put in the outbox."""
        update_id = next(self.ids)
        raw = {"update_id": update_id, sent.kind: sent.body}
        update = Update.de_json(raw, self.telegram.application.bot)
        assert await self.telegram.processor.process(update)
        database = self.telegram.core.database
        async with database.transaction() as uow:
            assert await uow.updates.seen(update_id)
        async with database.engine.begin() as connection:
            # All of it came from this update (replies, relayed copies, receipts): the outbox
            # is emptied after each, as if sent (the flood gate counts unsent messages).
            rows = await connection.execute(select(ROW.recipient, ROW.kind))
            await connection.execute(delete(OutboxMessage))
        return [(recipient, kind) for recipient, kind in rows.all()]

    def recipient(self, chat_id: int) -> str:
        return self.telegram.outbox.recipient(chat_id)


def _flows_without_flood_limit(tmp: Path) -> Path:
    """The shipped flows and settings, with the flood limit lifted: thousands of updates a
    minute from three people are this test's point, not a flood (the flood has its own)."""
    flows = tmp / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, flows)
    path = flows / "settings.yaml"
    data = yaml.safe_load(path.read_text())
    if "flood" in data:
        data["flood"] = {"burst": 1000, "sustained": 10_000, "per": "1s", "notice_every": "1m"}
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return flows


async def _open(tmp: Path, api: FakeBotApi) -> TelegramBot:
    url = await migrated(f"sqlite+aiosqlite:///{tmp / 'bot.db'}")
    await api.start()
    core = await open_core(settings_for(api, url, flows_dir=_flows_without_flood_limit(tmp)))
    telegram = TelegramBot(core)
    await telegram.start(background=False)
    world = World(core, core.clock, telegram.runner)  # type: ignore[arg-type]
    await join(world, VP, Profile("vp", "Noor B", ("nl",), "f", capacity=5))
    await join(world, COORDINATOR, Profile("coordinator", "Sanne de Vries"))
    await a_case_accepted(world, PARENT_IN_CASE, VP)
    return telegram


async def _close(telegram: TelegramBot, api: FakeBotApi) -> None:
    await telegram.stop()
    await telegram.core.close()
    await api.stop()


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[Stage]:
    runner = asyncio.Runner()
    api = FakeBotApi()
    telegram = runner.run(_open(tmp_path, api))
    try:
        yield Stage(runner, telegram, itertools.count(1_000))
    finally:
        runner.run(_close(telegram, api))
        runner.close()


def test_any_update_is_committed_and_whoever_is_owed_a_reply_gets_one(stage: Stage) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,  # a fixed seed: the same examples in every run, so a failure reproduces
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(updates)
    def one(sent: Sent) -> None:
        rows = stage.handle(sent)
        for owed in sent.owed:
            mine = [kind for recipient, kind in rows if recipient == stage.recipient(owed)]
            assert [k for k in mine if k != ANSWER_CALLBACK] or _quiet_relay(sent, rows), rows
        if sent.answered is not None:
            assert (stage.recipient(sent.answered), ANSWER_CALLBACK) in rows
        if sent.leaves is not None:
            assert (stage.recipient(sent.leaves), LEAVE_CHAT) in rows

    one()


def _quiet_relay(sent: Sent, rows: list[tuple[str, str]]) -> bool:
    """A VP's message to their parent is passed on and answers nobody: a copy went out."""
    return sent.kind == "message" and sent.body["from"]["id"] == VP and bool(rows)

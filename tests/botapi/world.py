"""Plain state of the fake Telegram: the bot, users, chats and their messages, pending updates."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .protocol import ApiError, bad_request

BOT_ID = 7000001


def default_bot_user() -> dict[str, Any]:
    return {
        "id": BOT_ID,
        "is_bot": True,
        "first_name": "Tussen In",
        "username": "tussenin_test_bot",
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


class Pulse:
    """Wakes every waiter once per change; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, at_most: float | None) -> None:
        """Return after the next change or after `at_most` seconds, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), at_most)


# Telegram's file ids start with a type-specific prefix; tests only need them unique and stable.
_FILE_PREFIX = {"voice": "AwAC", "audio": "CQAC", "photo": "AgAC", "document": "BQAC"}


@dataclass
class StoredFile:
    kind: str
    meta: dict[str, Any]  # the Voice / Audio / PhotoSize / Document object
    data: bytes | None = None
    group: list[dict[str, Any]] | None = None  # all sizes of a photo


class FileStore:
    """Files known to the server by file_id, so they can be sent again or copied."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def new(self, kind: str, data: bytes | None = None, **meta: Any) -> dict[str, Any]:
        n = next(self._counter)
        obj = {
            "file_id": f"{_FILE_PREFIX.get(kind, 'BAAC')}{n:06d}{secrets.token_urlsafe(12)}",
            "file_unique_id": f"AgAD{n:06d}",
            **meta,
        }
        obj.setdefault("file_size", len(data) if data is not None else 1024 * n)
        self._files[obj["file_id"]] = StoredFile(kind, obj, data)
        return obj

    def new_photo(self, data: bytes | None = None) -> list[dict[str, Any]]:
        """A photo as Telegram returns it: the same picture in a small and a large size."""
        sizes = [
            self.new("photo", data, width=90, height=68),
            self.new("photo", data, width=800, height=600),
        ]
        for size in sizes:
            self._files[size["file_id"]].group = sizes
        return sizes

    def find(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)


@dataclass
class Chat:
    """One chat: its Chat object and every message in it, from both directions."""

    info: dict[str, Any]
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_message_id: int = 1
    bot_message_ids: list[int] = field(default_factory=list)
    arrivals: list[dict[str, Any]] = field(default_factory=list)  # bot messages as they came
    deleted_ids: list[int] = field(default_factory=list)
    revision: int = 0  # bumped on every bot send/edit/delete, for the control API
    changed_at: dict[int, int] = field(default_factory=dict)
    blocked: bool = False
    voice_forbidden: bool = False  # the user's privacy settings refuse voice messages
    bot_member: bool = True
    bot_left: bool = False
    keyboard: dict[str, Any] | None = None  # the reply keyboard currently shown
    topics: dict[int, dict[str, Any]] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    reactions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def is_private(self) -> bool:
        return self.info["type"] == "private"

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def received(self) -> list[dict[str, Any]]:
        """Bot messages still in the chat, in order, as they look now."""
        return [self.messages[i] for i in self.bot_message_ids if i in self.messages]


@dataclass
class PendingUpdate:
    update: dict[str, Any]
    # A deliberately re-enqueued old update_id must be handed out once before an offset
    # confirms it; otherwise the bot's current offset would silently swallow it.
    replay: bool = False
    delivered: bool = False

    @property
    def id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return next(key for key in self.update if key != "update_id")


@dataclass
class CallbackRecord:
    user_id: int
    answers: list[dict[str, Any]] = field(default_factory=list)


class World:
    """Everything the fake Telegram knows. Methods mutate it; nothing here does I/O."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.bot_user = default_bot_user()
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, Chat] = {}
        self.pending: list[PendingUpdate] = []
        self.next_update_id = 1
        self.files = FileStore()
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.updates_changed = Pulse()
        self.messages_changed = Pulse()
        self._callback_ids = itertools.count(4_000_000_000_001)

    def now(self) -> int:
        return int(self.clock())

    def enqueue(self, update: dict[str, Any]) -> int:
        """Queue an update for the bot, keeping a given update_id, else assigning the next."""
        replay = False
        if update.get("update_id") is None:
            fields = {k: v for k, v in update.items() if k != "update_id"}
            update = {"update_id": self.next_update_id, **fields}
        else:
            replay = int(update["update_id"]) < self.next_update_id
        update_id = int(update["update_id"])
        self.next_update_id = max(self.next_update_id, update_id + 1)
        self.pending.append(PendingUpdate(update, replay=replay))
        self.updates_changed.fire()
        return update_id

    def chat(self, chat_id: Any) -> Chat:
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def writable_chat(self, chat_id: Any) -> Chat:
        """The chat the bot is about to send to, or the error Telegram would give."""
        chat = self.chat(chat_id)
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.bot_member:
            kind = "supergroup" if chat.info["type"] == "supergroup" else "group"
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        return chat

    def add_message(
        self, chat: Chat, sender: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        """Store a new message in `chat` with the next message id."""
        message = {
            "message_id": chat.take_message_id(),
            "from": sender,
            "chat": chat.info,
            "date": self.now(),
            **content,
        }
        chat.messages[message["message_id"]] = message
        return message

    def mark_bot_message(self, chat: Chat, message: dict[str, Any]) -> None:
        chat.bot_message_ids.append(message["message_id"])
        chat.arrivals.append(message)
        self.mark_changed(chat, message["message_id"])

    def mark_changed(self, chat: Chat, message_id: int) -> None:
        chat.revision += 1
        chat.changed_at[message_id] = chat.revision
        self.messages_changed.fire()

    def delete_message(self, chat: Chat, message_id: int) -> bool:
        if chat.messages.pop(message_id, None) is None:
            return False
        chat.deleted_ids.append(message_id)
        self.mark_changed(chat, message_id)
        return True

    def new_callback_id(self, user_id: int) -> str:
        callback_id = str(next(self._callback_ids))
        self.callbacks[callback_id] = CallbackRecord(user_id)
        return callback_id


def snapshot(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of a message for an update, so later edits don't change what was delivered."""
    return copy.deepcopy(message)

"""Simulated people: users in private chats and groups, who send updates and read replies."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from .chats import member_update
from .world import Chat, World, snapshot

COMMAND = re.compile(r"^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?")
Predicate = Callable[[dict[str, Any]], bool]


def describe(message: dict[str, Any]) -> str:
    """A one-line summary of a message, for error messages and the CLI."""
    for kind in ("voice", "audio", "document", "photo", "contact", "location"):
        if kind in message:
            extra = message[kind].get("file_name", "") if isinstance(message[kind], dict) else ""
            head = f"[{kind}{' ' + extra if extra else ''}]"
            return f"{head} {message.get('caption', '')}".rstrip()
    return str(message.get("text", "[service message]"))


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


class ChatView:
    """What a person sees in one chat: the bot's messages, and waiting for new ones."""

    def __init__(self, world: World, chat: Chat) -> None:
        self._world = world
        self.chat = chat
        self._seen = 0  # arrivals already returned by wait_for

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def received(self) -> list[dict[str, Any]]:
        """Bot messages in this chat, in order, as they look now; deleted ones are left out."""
        return self.chat.received()

    @property
    def deleted_ids(self) -> list[int]:
        return list(self.chat.deleted_ids)

    @property
    def keyboard(self) -> dict[str, Any] | None:
        """The reply keyboard the bot currently shows here, if any."""
        return self.chat.keyboard

    async def wait_for(
        self,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Predicate | None = None,
    ) -> list[dict[str, Any]]:
        """Wait for `count` new bot messages (matching `predicate`) since the last wait.

        Returns all matching new messages; later waits start after everything seen here.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            fresh = self.chat.arrivals[self._seen :]
            matching = [m for m in fresh if predicate is None or predicate(m)]
            if len(matching) >= count:
                self._seen = len(self.chat.arrivals)
                return matching
            remaining = deadline - loop.time()
            if remaining <= 0:
                got = "\n".join(f"  #{m['message_id']}: {describe(m)}" for m in fresh) or "  none"
                raise TimeoutError(
                    f"waited {timeout}s for {count} new bot message(s) in chat {self.id}"
                    f"{' matching the predicate' if predicate else ''}; "
                    f"{len(matching)} matched, arrived:\n{got}"
                )
            await self._world.messages_changed.wait(remaining)

    def _post(self, sender: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        if self.chat.is_private and self.chat.blocked:
            raise AssertionError(f"user {self.id} blocked the bot; call unblock() first")
        message = self._world.add_message(self.chat, sender, content)
        self._world.enqueue({"message": snapshot(message)})
        return message

    def _text(self, sender: dict[str, Any], text: str, thread_id: int | None) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        command = COMMAND.match(text)
        if command:
            length = command.end()
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if thread_id is not None:
            content.update(message_thread_id=thread_id, is_topic_message=True)
        return self._post(sender, content)

    def _press(self, sender: dict[str, Any], label: str) -> dict[str, Any]:
        """Press the inline button with this text or callback_data on the latest message having
        it; a button of the reply keyboard is "pressed" by sending its text."""
        for message in reversed(self.chat.received()):
            for button in buttons(message):
                # A person reads the label without its direction mark or the picker's ✓.
                shown = button["text"].lstrip("\u200e\u200f").removeprefix("✓ ")
                if label not in (button["text"], shown, button.get("callback_data")):
                    continue
                if "callback_data" not in button:
                    raise AssertionError(f"button {label!r} has no callback_data: {button}")
                callback_id = self._world.new_callback_id(sender["id"])
                query = {
                    "id": callback_id,
                    "from": sender,
                    "message": snapshot(message),
                    "chat_instance": str(abs(self.id) * 7919),
                    "data": button["callback_data"],
                }
                self._world.enqueue({"callback_query": query})
                return query
        for row in (self.chat.keyboard or {}).get("keyboard", []):
            for button in row:
                text = button if isinstance(button, str) else button.get("text")
                if text == label:
                    return self._text(sender, label, None)
        shown = [b["text"] for m in self.chat.received() for b in buttons(m)]
        raise AssertionError(f"no button {label!r} in chat {self.id}; buttons seen: {shown}")


class FakeUser(ChatView):
    """A Telegram user in their private chat with the bot (chat id == user id)."""

    def __init__(self, world: World, user: dict[str, Any]) -> None:
        super().__init__(world, world.chats[user["id"]])
        self.user = user

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery parameters for this user's presses, in order."""
        records = self._world.callbacks.values()
        return [a for r in records if r.user_id == self.user["id"] for a in r.answers]

    async def send_text(self, text: str, *, message_thread_id: int | None = None) -> dict[str, Any]:
        return self._text(self.user, text, message_thread_id)

    async def send_voice(self, duration: int = 3, data: bytes | None = None) -> dict[str, Any]:
        """A voice message; `data` are the bytes a download of it gives (else stand-ins)."""
        voice = self._world.files.new("voice", data, duration=duration, mime_type="audio/ogg")
        return self._post(self.user, {"voice": voice})

    async def send_audio(self, duration: int = 30, file_name: str = "audio.mp3") -> dict[str, Any]:
        audio = self._world.files.new(
            "audio", duration=duration, file_name=file_name, mime_type="audio/mpeg"
        )
        return self._post(self.user, {"audio": audio})

    async def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        content: dict[str, Any] = {"photo": self._world.files.new_photo()}
        if caption:
            content["caption"] = caption
        return self._post(self.user, content)

    async def send_document(
        self, file_name: str = "document.pdf", mime_type: str = "application/pdf"
    ) -> dict[str, Any]:
        document = self._world.files.new("document", file_name=file_name, mime_type=mime_type)
        return self._post(self.user, {"document": document})

    async def send_contact(self, phone: str = "+31600000000") -> dict[str, Any]:
        contact = {
            "phone_number": phone,
            "first_name": self.user["first_name"],
            "user_id": self.user["id"],
        }
        return self._post(self.user, {"contact": contact})

    async def send_location(
        self, latitude: float = 52.37, longitude: float = 4.89
    ) -> dict[str, Any]:
        return self._post(self.user, {"location": {"latitude": latitude, "longitude": longitude}})

    async def reply_to(self, message_id: int, text: str) -> dict[str, Any]:
        original = self.chat.messages.get(message_id)
        if original is None:
            raise AssertionError(f"no message {message_id} in chat {self.id} to reply to")
        quoted = snapshot(original)
        quoted.pop("reply_to_message", None)
        return self._post(self.user, {"text": text, "reply_to_message": quoted})

    async def edit_text(self, message_id: int, text: str) -> dict[str, Any]:
        message = self.chat.messages.get(message_id)
        if message is None or message["from"]["id"] != self.user["id"] or "text" not in message:
            raise AssertionError(f"user {self.id} has no text message {message_id} to edit")
        message.update(text=text, edit_date=self._world.now())
        message.pop("entities", None)
        self._world.enqueue({"edited_message": snapshot(message)})
        return message

    async def press(self, label: str) -> dict[str, Any]:
        """Press a button by its text or callback_data; returns the callback query (or, for a
        reply keyboard button, the message sent)."""
        return self._press(self.user, label)

    def block(self) -> None:
        """Block the bot: sends now fail with 403 and the bot gets a my_chat_member update."""
        self.chat.blocked = True
        member_update(self._world, self.chat, self.user, "member", "kicked")

    def forbid_voice_messages(self) -> None:
        """Privacy setting "voice messages: nobody": sending voice fails with a 400."""
        self.chat.voice_forbidden = True

    def unblock(self) -> None:
        self.chat.blocked = False
        member_update(self._world, self.chat, self.user, "kicked", "member")


class FakeGroup(ChatView):
    """A group or supergroup; the bot is a member only after add_bot()."""

    @property
    def bot_left(self) -> bool:
        return self.chat.bot_left

    async def add_bot(self, by: FakeUser) -> dict[str, Any]:
        """Add the bot: a my_chat_member update, then the new_chat_members service message."""
        self.chat.bot_member = True
        self.chat.bot_left = False
        member_update(self._world, self.chat, by.user, "left", "member")
        return self._post(by.user, {"new_chat_members": [self._world.bot_user]})

    async def send_text(
        self, user: FakeUser, text: str, *, message_thread_id: int | None = None
    ) -> dict[str, Any]:
        return self._text(user.user, text, message_thread_id)

    async def press(self, user: FakeUser, label: str) -> dict[str, Any]:
        return self._press(user.user, label)

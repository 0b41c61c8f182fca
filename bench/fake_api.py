"""A minimal fast fake Bot API for benchmarks: long polling, sends recorded per chat.

The project's test server (tests/botapi) checks every parameter and keeps a whole world; this
one answers in the same JSON shapes with as little work as possible, counts calls per method,
and remembers per chat only when each message arrived, its text and its buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {
    "id": 700_000_001,
    "is_bot": True,
    "first_name": "Bench",
    "username": "bench_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
MAX_POLL_SECONDS = 30.0
BATCH = 100  # getUpdates' default limit
SENDS = frozenset({"sendMessage", "copyMessage", "sendAudio", "sendVoice", "sendPhoto"})
TRUE_METHODS = frozenset(
    {
        "answerCallbackQuery",
        "setMessageReaction",
        "setMyCommands",
        "deleteMyCommands",
        "deleteWebhook",
        "setWebhook",
        "deleteMessage",
        "leaveChat",
        "close",
        "logOut",
    }
)


@dataclass
class Received:
    """One message a chat got from the bot."""

    at: float  # time.perf_counter()
    message_id: int
    text: str
    markup: str | None  # reply_markup as sent (JSON); parsed only when a button is pressed

    def callback_data(self) -> list[str]:
        if not self.markup:
            return []
        markup = json.loads(self.markup) if isinstance(self.markup, str) else self.markup
        rows = markup.get("inline_keyboard") or []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@dataclass
class Chat:
    received: list[Received] = field(default_factory=list)
    waiting: tuple[int, asyncio.Future[None]] | None = None


class FastBotApi:
    """Serve /bot<token>/<method> on 127.0.0.1; the bench's users enqueue updates."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.chats: dict[int, Chat] = {}
        self.first_poll_at: float | None = None  # perf_counter of the first getUpdates
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_message_id = 1
        self._next_callback_id = 1
        self._arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- running -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        self._arrived.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def reset(self) -> None:
        """Forget calls and chats between contenders (pending updates are kept)."""
        self.calls.clear()
        self.chats.clear()
        self.first_poll_at = None

    # --- the users' side -------------------------------------------------------------------

    def chat(self, chat_id: int) -> Chat:
        found = self.chats.get(chat_id)
        if found is None:
            found = self.chats[chat_id] = Chat()
        return found

    def _enqueue(self, kind: str, content: dict[str, Any]) -> None:
        self._updates.append({"update_id": self._next_update_id, kind: content})
        self._next_update_id += 1
        self._arrived.set()

    def send_text(self, user: dict[str, Any], text: str) -> None:
        message: dict[str, Any] = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._enqueue("message", message)

    def press(self, user: dict[str, Any], data: str, on: Received | None = None) -> None:
        query: dict[str, Any] = {
            "id": str(self._next_callback_id),
            "from": user,
            "chat_instance": str(user["id"]),
            "data": data,
        }
        self._next_callback_id += 1
        if on is not None:
            query["message"] = {
                "message_id": on.message_id,
                "date": int(time.time()),
                "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
                "from": BOT_USER,
                "text": on.text,
            }
        self._enqueue("callback_query", query)

    async def wait_for(self, chat_id: int, count: int, timeout: float) -> bool:
        """Until the chat has received `count` messages in all; False on time-out."""
        chat = self.chat(chat_id)
        if len(chat.received) >= count:
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        chat.waiting = (count, future)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return False
        finally:
            chat.waiting = None
        return True

    # --- the bot's side --------------------------------------------------------------------

    def _new_message_id(self) -> int:
        self._next_message_id += 1
        return self._next_message_id

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls[method] += 1
        if request.content_type == "application/json":
            params = await request.json()
        elif request.method == "POST":
            params = dict(await request.post())
        else:
            params = dict(request.query)
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        if method in SENDS:
            return _ok(self._record(method, params))
        if method in TRUE_METHODS:
            return _ok(True)
        if method == "getMe":
            return _ok(BOT_USER)
        if method == "getWebhookInfo":
            return _ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0})
        if method == "getMyCommands":
            return _ok([])
        self.calls[f"unknown:{method}"] += 1
        return web.json_response(
            {"ok": False, "error_code": 404, "description": f"Not Found: {method}"}, status=404
        )

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.first_poll_at is None:
            self.first_poll_at = time.perf_counter()
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            timeout = min(float(params.get("timeout") or 0), MAX_POLL_SECONDS)
            if timeout > 0:
                self._arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), timeout)
        limit = int(params.get("limit") or BATCH)
        return self._updates[:limit]

    def _record(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message_id = self._new_message_id()
        text = str(params.get("text") or params.get("caption") or "")
        markup = params.get("reply_markup")
        if markup is not None and not isinstance(markup, str):
            markup = json.dumps(markup)
        chat = self.chat(chat_id)
        chat.received.append(Received(time.perf_counter(), message_id, text, markup))
        waiting = chat.waiting
        if waiting is not None and len(chat.received) >= waiting[0] and not waiting[1].done():
            waiting[1].set_result(None)
        if method == "copyMessage":
            return {"message_id": message_id}
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "P"},
            "from": BOT_USER,
        }
        if text:
            message["text"] = text
        return message


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})

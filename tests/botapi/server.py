"""The local Bot API server: an aiohttp app that answers like api.telegram.org."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web

# Importing the method modules registers their methods.
from . import chats, media, messages, profile  # noqa: F401
from .control import add_control_routes
from .delivery import Delivery
from .faults import Fault, FaultPlan
from .people import FakeGroup, FakeUser
from .profile import commands_key
from .protocol import METHODS, ApiError, Call, answer, error_answer, read_params
from .world import Chat, World

log = logging.getLogger(__name__)

TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
MAX_UPLOAD = 50 * 1024 * 1024  # Telegram's limit for files a bot uploads
UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")


class FakeBotApi:
    """A local Telegram Bot API for tests, benchmarks and trying the bot offline.

    Point PTB at it with `Application.builder().token(T).base_url(api.base_url)`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
        record_requests: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.world = World(clock)
        self.delivery = Delivery(
            self.world, retry_delay=webhook_retry_delay, timeout=webhook_timeout
        )
        self.faults = FaultPlan()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.record_requests = record_requests  # off for long benchmarks, to save memory
        self.server_errors: list[BaseException] = []  # bugs in this server, not Telegram errors
        self._rejected_tokens: set[str] = set()
        self._users: dict[int, FakeUser] = {}
        self._groups: dict[int, FakeGroup] = {}
        self._runner: web.AppRunner | None = None

    # --- running -------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{kind}/{file_id}", self._download)
        add_control_routes(app, self)
        return app

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        await self.delivery.close()  # pending long polls answer at once
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The Bot API base URL for PTB and TELEGRAM_API_URL: the token goes right after it."""
        return f"{self.url}/bot"

    # --- the Bot API -----------------------------------------------------------------------

    async def _download(self, request: web.Request) -> web.StreamResponse:
        """A file's bytes; files the test world made up without data get stand-in bytes."""
        stored = self.world.files.find(request.match_info["file_id"])
        if not TOKEN.match(request.match_info["token"]) or stored is None:
            return web.Response(status=404, text="Not Found")
        data = stored.data if stored.data is not None else b"OggS" + bytes(60)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token, name = request.match_info["token"], request.match_info["method"]
        entry = METHODS.get(name.lower())
        canonical = entry[0] if entry else name
        unreadable: ApiError | None = None
        try:
            params = await read_params(request)
        except ApiError as exc:
            params, unreadable = {}, exc
        if self.record_requests:
            self.requests.append((canonical, params))
        log.debug("%s %s", canonical, params)
        if not TOKEN.match(token) or token in self._rejected_tokens:
            return error_answer(UNAUTHORIZED)
        if entry is None:
            return error_answer(NOT_FOUND)
        if unreadable is not None:
            return error_answer(unreadable)
        fault = self.faults.take(canonical, params)
        if fault is not None:
            if fault.kind == "drop":
                return self._drop(request)
            if fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            error = fault.error()
            if error is not None:
                return error_answer(error)
        try:
            result = await entry[1](Call(self.world, self.delivery, params, token))
            if fault is not None and fault.kind == "drop_answer":
                return self._drop(request)
            return answer(result)
        except ApiError as exc:
            return error_answer(exc)
        except Exception as exc:
            log.exception("fake Bot API failed on %s", canonical)
            self.server_errors.append(exc)
            return error_answer(ApiError(500, f"Internal Server Error: {exc!r}"))

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        """Close the connection without a word, like a proxy that lost its upstream."""
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError  # aiohttp then drops the request without answering

    # --- test-facing API -------------------------------------------------------------------

    @property
    def bot_user(self) -> dict[str, Any]:
        return self.world.bot_user

    @property
    def webhook_deliveries(self) -> list[tuple[int, int | str]]:
        """(update_id, HTTP status or error text) for every webhook POST attempt."""
        return self.delivery.deliveries

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call of `method` (case-insensitive), in order."""
        return [params for name, params in self.requests if name.lower() == method.lower()]

    def reject_token(self, token: str) -> None:
        self._rejected_tokens.add(token)

    def enqueue(self, update: dict[str, Any]) -> int:
        return self.world.enqueue(update)

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> FakeUser:
        """Get or create a user with a private chat; given fields update an existing user."""
        fields = {
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
        }
        known = self._users.get(user_id)
        if known is not None:
            known.user.update({k: v for k, v in fields.items() if v is not None})
            for key in ("first_name", "last_name", "username"):
                if key in known.user:
                    known.chat.info[key] = known.user[key]
            return known
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        user.update({k: v for k, v in fields.items() if v is not None})
        info = {"id": user_id, "type": "private"}
        info.update({k: user[k] for k in ("first_name", "last_name", "username") if k in user})
        self.world.users[user_id] = user
        self.world.chats[user_id] = Chat(info)
        self._users[user_id] = FakeUser(self.world, user)
        return self._users[user_id]

    def group(
        self, chat_id: int, title: str = "Group", type: str = "supergroup", is_forum: bool = False
    ) -> FakeGroup:
        """Get or create a group; the bot joins only through `await group.add_bot(by=user)`."""
        if chat_id not in self._groups:
            info: dict[str, Any] = {"id": chat_id, "type": type, "title": title}
            if is_forum:
                info["is_forum"] = True
            chat = Chat(info, bot_member=False)
            self.world.chats[chat_id] = chat
            self._groups[chat_id] = FakeGroup(self.world, chat)
        return self._groups[chat_id]

    def fail(
        self,
        method: str | None = None,
        kind: str = "500",
        *,
        times: int | None = 1,
        chat_id: int | str | None = None,
        retry_after: int = 1,
        seconds: float = 1.0,
        description: str | None = None,
    ) -> Fault:
        """Make the next `times` matching calls fail; see Fault for the kinds."""
        fault = Fault(kind, method, times, chat_id, retry_after, seconds, description)
        return self.faults.add(fault)

    def commands(
        self, language_code: str | None = None, scope: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The command list set for this scope and language (empty if none)."""
        return self.world.commands.get(commands_key(scope, language_code), [])

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return [entry.update for entry in self.world.pending]

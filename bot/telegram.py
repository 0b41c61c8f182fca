"""The Telegram side of a running bot: the PTB Application factory, start and stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.aiohttp_request import AiohttpRequest
from bot.errors import StartupError
from bot.metrics import BotMetrics
from bot.runtime import Core, instance_name
from bot.scheduler import Heartbeat
from bot.services.bot_profile import remember_username
from bot.services.outbox import Outbox
from bot.services.reception import Subject
from bot.services.scheduling import TaskRunner
from bot.supervision import Supervisor
from bot.updates import UpdateProcessor
from handlers import register
from handlers.delivery import STOP_GRACE_SECONDS, OutboxDispatcher
from handlers.menu import publish_menus
from handlers.services import SERVICES_KEY, Services
from storage import UnitOfWork

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "channel_post"]


def file_url(api_url: str) -> str:
    """Telegram serves files under /file/bot<token>, beside /bot<token>."""
    return api_url[: -len("/bot")] + "/file/bot" if api_url.endswith("/bot") else api_url


def build_application(core: Core) -> Application:
    """The PTB Application, with our own update fetching instead of PTB's Updater."""
    token = core.settings.telegram_token
    if token is None:
        raise StartupError(
            "TELEGRAM_TOKEN is not set: get one from @BotFather, "
            "or try the bot in the terminal with `python -m bot shell`."
        )
    application = (
        Application.builder()
        .token(token.get_secret_value())
        .base_url(core.settings.telegram_api_url)
        .base_file_url(file_url(core.settings.telegram_api_url))
        # aiohttp, not PTB's default httpx: ~9x less CPU per call (bench/request_layer.py)
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest())
        .updater(None)
        .build()
    )
    application.bot_data[SERVICES_KEY] = Services(reception=core.reception, flood=core.flood)
    register(application)
    return application


class TelegramBot:
    """The application, the update processor, the outbox dispatcher and the task tick."""

    def __init__(self, core: Core, owner: str | None = None) -> None:
        self.core = core
        self.owner = owner or instance_name()
        self.application = build_application(core)
        self.outbox = Outbox(core.vault, CHANNEL)
        settings = core.settings
        self.dispatcher = OutboxDispatcher(
            self.application.bot,
            core.database,
            self.outbox,
            core.clock,
            unreachable=core.leaving.unreachable,
            owner=self.owner,
            messages_per_second=settings.send_rate_per_second / settings.instance_count,
            lease=timedelta(seconds=settings.send_lease_seconds),
            per_chat=(settings.chat_burst, settings.chat_period_seconds),
            media_root=settings.flows_dir,
        )
        self.supervisor = Supervisor()
        self.metrics = BotMetrics()

        async def apology(uow: UnitOfWork, chat_id: int, now: datetime, code: str | None) -> Any:
            return await core.reception.apologise(uow, Subject(CHANNEL, chat_id), now, code)

        self.processor = UpdateProcessor(
            self.application,
            core.database,
            core.clock,
            self.outbox,
            self.dispatcher.wake,
            apology=apology,
            retry_seconds=settings.update_retry_seconds,
            metrics=self.metrics.updates,
        )
        self.runner = TaskRunner(
            core.database,
            core.tasks,
            self.outbox,
            owner=self.owner,
            committed=self.dispatcher.wake,
            lease=timedelta(seconds=settings.task_lease_seconds),
        )
        self.heartbeat = Heartbeat(core, self.runner, self.supervisor)
        self._initialized = False
        self._background: list[asyncio.Task[None]] = []
        self._scheduler: AsyncIOScheduler | None = None

    async def start(self, *, background: bool = True) -> None:
        """getMe (a 401 or an unreachable API stops here), cache the username, set menus;
        then send the outbox and run the scheduler."""
        try:
            await self.application.initialize()
            self._initialized = True
            bot = self.application.bot
            async with self.core.database.transaction() as uow:
                await remember_username(uow, bot.username, self.core.clock.now())
            await publish_menus(bot, self.core.catalogs, self.core.coordinator.current.languages)
        except InvalidToken:
            await self.application.bot.shutdown()  # close the HTTP sessions getMe opened
            raise StartupError(
                "Telegram refused TELEGRAM_TOKEN (401 Unauthorized): copy the token again "
                "from @BotFather."
            ) from None
        except NetworkError as error:
            await self.application.bot.shutdown()
            raise StartupError(
                f"Cannot reach the Bot API at {self.core.settings.telegram_api_url} "
                f"({error.message}): check TELEGRAM_API_URL and the network."
            ) from None
        log.info("signed in as @%s", self.application.bot.username)
        if background:
            self._background.append(asyncio.create_task(self.dispatcher.run(self.supervisor)))
            await self.heartbeat.daily()  # a restarted instance does not skip a day
            self._scheduler = self.heartbeat.scheduler()
            self._scheduler.start()

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.heartbeat.stop(), STOP_GRACE_SECONDS)
        self.dispatcher.stop()
        for task in self._background:
            # Let a send under way finish and be recorded, so it is not sent twice.
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, STOP_GRACE_SECONDS)
        self._background.clear()
        if self._initialized:
            self._initialized = False
            await self.application.shutdown()

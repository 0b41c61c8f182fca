"""The Telegram side of a running bot: the PTB Application factory, start and stop."""

from __future__ import annotations

import logging

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.errors import StartupError
from bot.runtime import Core
from bot.services.bot_profile import remember_username
from bot.updates import UpdateProcessor
from handlers import register
from handlers.delivery import TelegramDelivery
from handlers.menu import publish_menus
from handlers.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)

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
        .updater(None)
        .build()
    )
    application.bot_data[SERVICES_KEY] = Services(reception=core.reception)
    register(application)
    return application


class TelegramBot:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.application = build_application(core)
        self.processor = UpdateProcessor(
            self.application, core.database, core.clock, TelegramDelivery(self.application.bot)
        )
        self._initialized = False

    async def start(self) -> None:
        """getMe (a 401 or an unreachable API stops here), cache the username, set menus."""
        try:
            await self.application.initialize()
            self._initialized = True
            bot = self.application.bot
            async with self.core.database.transaction() as uow:
                await remember_username(uow, bot.username, self.core.clock.now())
            await publish_menus(bot, self.core.catalogs)
        except InvalidToken:
            raise StartupError(
                "Telegram refused TELEGRAM_TOKEN (401 Unauthorized): copy the token again "
                "from @BotFather."
            ) from None
        except NetworkError as error:
            raise StartupError(
                f"Cannot reach the Bot API at {self.core.settings.telegram_api_url} "
                f"({error.message}): check TELEGRAM_API_URL and the network."
            ) from None
        log.info("signed in as @%s", self.application.bot.username)

    async def stop(self) -> None:
        if self._initialized:
            self._initialized = False
            await self.application.shutdown()

"""The aiohttp server of webhook mode: the webhook, /healthz and /readyz."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot.errors import StartupError
from bot.telegram import ALLOWED_UPDATES, TelegramBot
from storage import DatabaseUnavailable

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_KEY = web.AppKey("telegram", TelegramBot)


async def _webhook(request: web.Request) -> web.Response:
    """Answer 200 only once the update's effects are committed; Telegram retries otherwise."""
    telegram = request.app[TELEGRAM_KEY]
    expected = telegram.core.settings.webhook_secret.get_secret_value()
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return web.Response(status=403, text="forbidden")
    try:
        update = Update.de_json(await request.json(), telegram.application.bot)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        return web.Response(status=400, text="not an update")
    try:
        await telegram.processor.process(update)
    except Exception:
        log.exception("update %s failed; Telegram will deliver it again", update.update_id)
        return web.Response(status=500, text="failed")
    return web.Response(text="ok")


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def _readyz(request: web.Request) -> web.Response:
    try:
        await request.app[TELEGRAM_KEY].core.database.ping()
    except DatabaseUnavailable:
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ready"})


def build_web_app(telegram: TelegramBot) -> web.Application:
    app = web.Application()
    app[TELEGRAM_KEY] = telegram
    app.router.add_post(telegram.core.settings.webhook_path, _webhook)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    return app


async def serve_webhook(telegram: TelegramBot, host: str = "0.0.0.0") -> None:
    """Serve until cancelled; the webhook stays registered so Telegram queues meanwhile."""
    settings = telegram.core.settings
    runner = web.AppRunner(build_web_app(telegram), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, settings.port).start()
        except OSError as error:
            raise StartupError(
                f"Cannot listen on port {settings.port} ({error.strerror}): "
                "set PORT to a free port."
            ) from None
        await telegram.application.bot.set_webhook(
            url=settings.webhook_url or "",
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
        )
        log.info("serving the webhook on port %s", settings.port)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()

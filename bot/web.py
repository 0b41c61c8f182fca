"""The aiohttp server, in polling and webhook mode: /healthz, /readyz, /metrics and the
webhook."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot.errors import StartupError
from bot.metrics import CONTENT_TYPE
from bot.telegram import ALLOWED_UPDATES, TelegramBot
from bot.updates import NotAnUpdate, Outcome
from console.app import build_console
from storage import DatabaseUnavailable

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_KEY = web.AppKey("telegram", TelegramBot)
PING_TIMEOUT_SECONDS = 5.0


async def _webhook(request: web.Request) -> web.Response:
    """200 once the update is committed or set aside; 400 for a body that is no update, so
    Telegram never retries it forever; 500/503 (retried by Telegram) while it may still work."""
    telegram = request.app[TELEGRAM_KEY]
    expected = telegram.core.settings.webhook_secret.get_secret_value()
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return web.Response(status=403, text="forbidden")
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return web.Response(status=400, text="not an update")
    try:
        outcome = await telegram.processor.handle(data)
    except NotAnUpdate:
        return web.Response(status=400, text="not an update")
    except DatabaseUnavailable:
        return web.Response(status=503, text="database unavailable")
    if outcome is Outcome.LATER:
        return web.Response(status=500, text="failed; deliver it again")
    return web.Response(text="ok")


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def _readyz(request: web.Request) -> web.Response:
    """Ready when the database answers and no background loop is failing; else 503, saying
    which."""
    telegram = request.app[TELEGRAM_KEY]
    report: dict[str, Any] = {"database": "ok", "failing": telegram.supervisor.failing()}
    try:
        await asyncio.wait_for(telegram.core.database.ping(), PING_TIMEOUT_SECONDS)
    except (DatabaseUnavailable, TimeoutError):
        report["database"] = "unreachable"
    ready = report["database"] == "ok" and not report["failing"]
    report["status"] = "ready" if ready else "not ready"
    return web.json_response(report, status=200 if ready else 503)


async def _metrics(request: web.Request) -> web.Response:
    """The Prometheus text format, for a caller with METRICS_TOKEN as its bearer token."""
    telegram = request.app[TELEGRAM_KEY]
    token = telegram.core.settings.metrics_token
    assert token is not None  # the route exists only with a token
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        return web.Response(status=401, text="unauthorized", headers={"WWW-Authenticate": "Bearer"})
    core = telegram.core
    body = await telegram.metrics.exposition(
        core.database, core.clock.now(), core.coordinator.current.urgent.breach_after
    )
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def build_web_app(telegram: TelegramBot) -> web.Application:
    app = web.Application()
    app[TELEGRAM_KEY] = telegram
    if telegram.core.settings.webhook_url:
        app.router.add_post(telegram.core.settings.webhook_path, _webhook)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    if telegram.core.settings.metrics_token is not None:  # off (404) without a token
        app.router.add_get("/metrics", _metrics)
    app.router.add_get("/console", _to_console)
    app.add_subapp(
        "/console", build_console(telegram.core, telegram.core.console, telegram.dispatcher.wake)
    )
    return app


async def _to_console(_request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/console/")


@contextlib.asynccontextmanager
async def web_server(telegram: TelegramBot) -> AsyncIterator[None]:
    """Serve on HOST:PORT while the block runs; in webhook mode, register the webhook. The
    webhook stays registered at the end, so Telegram queues updates meanwhile."""
    settings = telegram.core.settings
    runner = web.AppRunner(build_web_app(telegram), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, settings.host, settings.port).start()
        except OSError as error:
            raise StartupError(
                f"Cannot listen on {settings.host} port {settings.port} ({error.strerror}): "
                "set PORT to a free port and HOST to an address of this machine."
            ) from None
        if settings.webhook_url:
            await telegram.application.bot.set_webhook(
                url=settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("serving the webhook on %s port %s", settings.host, settings.port)
        else:
            log.info("serving /healthz and /readyz on %s port %s", settings.host, settings.port)
        yield
    finally:
        await runner.cleanup()

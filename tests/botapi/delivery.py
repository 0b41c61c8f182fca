"""Update delivery: getUpdates long polling, or POSTing to a webhook with retries."""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import aiohttp

from .protocol import ApiError, Call, bad_request, method
from .world import PendingUpdate, World

SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_LIMIT = 100
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


class Delivery:
    """Hands the world's pending updates to the bot, by polling or by webhook."""

    def __init__(self, world: World, *, retry_delay: float, timeout: float) -> None:
        self.world = world
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.webhook: Webhook | None = None
        self.allowed_updates: list[str] | None = None  # None: every kind of update
        self.deliveries: list[tuple[int, int | str]] = []  # (update_id, HTTP status or error)
        self.closing = False
        self._poll_generation = 0
        self._task: asyncio.Task[None] | None = None

    def _allowed(self, entry: PendingUpdate) -> bool:
        return self.allowed_updates is None or entry.kind in self.allowed_updates

    def confirm(self, offset: int) -> None:
        """Forget updates below `offset` (or all but the last -offset), as Telegram does."""
        pending = self.world.pending
        if offset < 0:
            del pending[: max(0, len(pending) + offset)]
        elif offset > 0:
            pending[:] = [e for e in pending if e.id >= offset or (e.replay and not e.delivered)]

    def take(self, limit: int) -> list[dict[str, Any]]:
        """The next batch, in queue order, cut before an id that goes backwards.

        Cutting there keeps the bot's next offset (last id + 1) from skipping a replayed update.
        """
        self.world.pending[:] = [e for e in self.world.pending if self._allowed(e)]
        batch: list[PendingUpdate] = []
        for entry in self.world.pending[:limit]:
            if batch and entry.id <= batch[-1].id:
                break
            entry.delivered = True
            batch.append(entry)
        return [entry.update for entry in batch]

    async def poll(self, offset: int, limit: int, wait: float) -> list[dict[str, Any]]:
        """Answer getUpdates: the next batch, waiting up to `wait` seconds for one."""
        if self.webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        self._poll_generation += 1
        generation = self._poll_generation
        self.world.updates_changed.fire()  # wakes an older poll, which must now answer 409
        self.confirm(offset)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_POLL)
            if self.webhook is not None:
                raise ApiError(409, CONFLICT_WEBHOOK)
            batch = self.take(limit)
            remaining = deadline - asyncio.get_running_loop().time()
            if batch or self.closing or remaining <= 0:
                return batch
            await self.world.updates_changed.wait(remaining)

    def set_webhook(self, hook: Webhook) -> None:
        self.stop_webhook()
        self.webhook = hook
        self._task = asyncio.create_task(self._push_forever(hook), name="fake-botapi-webhook")
        self.world.updates_changed.fire()  # a pending getUpdates now answers 409

    def stop_webhook(self) -> None:
        self.webhook = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def close(self) -> None:
        self.closing = True
        self.world.updates_changed.fire()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _next_for_webhook(self) -> PendingUpdate | None:
        self.world.pending[:] = [e for e in self.world.pending if self._allowed(e)]
        return self.world.pending[0] if self.world.pending else None

    async def _push_forever(self, hook: Webhook) -> None:
        """POST updates one at a time, in order; only a 2xx answer counts as delivered."""
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                entry = self._next_for_webhook()
                if entry is None:
                    await self.world.updates_changed.wait(None)
                    continue
                outcome = await self._post(session, hook, entry.update)
                self.deliveries.append((entry.id, outcome))
                if isinstance(outcome, int) and 200 <= outcome < 300:
                    entry.delivered = True
                    pending = self.world.pending
                    pending[:] = [e for e in pending if e is not entry]
                    continue
                hook.last_error_date = self.world.now()
                hook.last_error_message = self._describe(outcome)
                await asyncio.sleep(self.retry_delay)

    @staticmethod
    async def _post(
        session: aiohttp.ClientSession, hook: Webhook, update: dict[str, Any]
    ) -> int | str:
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
        )
        try:
            async with session.post(hook.url, json=update, headers=headers) as response:
                await response.read()
                return response.status
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection error: {exc.__class__.__name__}"

    @staticmethod
    def _describe(outcome: int | str) -> str:
        if isinstance(outcome, str):
            return outcome
        try:
            return f"Wrong response from the webhook: {outcome} {HTTPStatus(outcome).phrase}"
        except ValueError:
            return f"Wrong response from the webhook: {outcome}"

    def info(self) -> dict[str, Any]:
        hook = self.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.pending),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        if self.allowed_updates is not None:
            info["allowed_updates"] = self.allowed_updates
        return info


def _set_allowed(call: Call) -> None:
    allowed = call.get("allowed_updates")
    if allowed is not None:  # an empty list restores the default: everything
        call.delivery.allowed_updates = list(allowed) or None


@method("getUpdates")
async def get_updates(call: Call) -> list[dict[str, Any]]:
    _set_allowed(call)
    limit = min(max(int(call.get("limit") or MAX_LIMIT), 1), MAX_LIMIT)
    offset = int(call.get("offset") or 0)
    return await call.delivery.poll(offset, limit, float(call.get("timeout") or 0))


@method("setWebhook")
async def set_webhook(call: Call) -> bool:
    url = call.get("url") or ""
    secret = call.get("secret_token")
    if secret is not None and not SECRET_TOKEN.match(str(secret)):
        raise bad_request("secret token contains unallowed characters")
    if call.get("drop_pending_updates"):
        call.world.pending.clear()
    _set_allowed(call)
    if not url:  # an empty url removes the webhook
        call.delivery.stop_webhook()
        return True
    if not str(url).startswith(("http://", "https://")):
        raise bad_request("bad webhook: invalid URL")
    hook = Webhook(str(url), secret, int(call.get("max_connections") or 40))
    call.delivery.set_webhook(hook)
    return True


@method("deleteWebhook")
async def delete_webhook(call: Call) -> bool:
    call.delivery.stop_webhook()
    if call.get("drop_pending_updates"):
        call.world.pending.clear()
    return True


@method("getWebhookInfo")
async def get_webhook_info(call: Call) -> dict[str, Any]:
    return call.delivery.info()

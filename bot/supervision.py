"""Long-running loops that heal themselves: a failure is logged once per outage, the loop
waits a capped backoff and tries again, and /readyz can tell which loop is failing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0  # the cap for every retry in the bot's background work


@dataclass
class Outage:
    error: str  # the exception's class: never its message, which may quote content
    failures: int
    since: float
    retry_at: float


class Supervisor:
    """The health of the bot's loops (outbox, polling, tasks, watchers)."""

    def __init__(
        self,
        first: float = FIRST_BACKOFF_SECONDS,
        cap: float = MAX_BACKOFF_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._first = first
        self._cap = cap
        self._monotonic = monotonic
        self._outages: dict[str, Outage] = {}

    def failed(self, loop: str, error: BaseException) -> float:
        """Note a failure; returns how long to wait before the next try."""
        now = self._monotonic()
        outage = self._outages.get(loop)
        if outage is None:
            # Once per outage, with the stack but without the error's own words.
            log.error(
                "%s is failing (%s); retrying with backoff",
                loop,
                type(error).__name__,
                exc_info=error,
            )
            outage = self._outages[loop] = Outage(type(error).__name__, 0, now, now)
        outage.failures += 1
        outage.error = type(error).__name__
        delay = min(self._first * 2 ** (outage.failures - 1), self._cap)
        outage.retry_at = now + delay
        return delay

    def succeeded(self, loop: str) -> None:
        outage = self._outages.pop(loop, None)
        if outage is not None:
            log.warning(
                "%s works again after %s failures in %.0f s",
                loop,
                outage.failures,
                self._monotonic() - outage.since,
            )

    def waiting(self, loop: str) -> float:
        """Seconds until a failing loop may try again; 0 when it is healthy or due."""
        outage = self._outages.get(loop)
        return 0.0 if outage is None else max(0.0, outage.retry_at - self._monotonic())

    def failing(self) -> dict[str, str]:
        """Each failing loop and its error class, for /readyz."""
        return {loop: outage.error for loop, outage in sorted(self._outages.items())}

    async def guarded(self, loop: str, step: Callable[[], Awaitable[object]]) -> None:
        """One step of a loop that something else calls again (a scheduler job): skipped while
        its backoff runs, and never raising."""
        if self.waiting(loop) > 0:
            return
        try:
            await step()
        except Exception as error:
            self.failed(loop, error)
        else:
            self.succeeded(loop)

    async def keep_running(
        self,
        loop: str,
        step: Callable[[], Awaitable[object]],
        stopping: Callable[[], bool],
        fatal: tuple[type[Exception], ...] = (),
    ) -> None:
        """Run `step` again and again until `stopping()`; a failing step backs off and retries.

        Only cancellation and the `fatal` errors (a refused token) end the loop."""
        while not stopping():
            try:
                await step()
            except fatal:
                raise
            except Exception as error:
                await asyncio.sleep(self.failed(loop, error))
            else:
                self.succeeded(loop)

"""One poller per database: a lease in bot_fact, taken at start and renewed while polling.

Telegram itself lets a new poller silently push out the one that was running (409), so a
developer's `make run` with the production token would take over. The lease stops that on a
shared database. A poller that crashed leaves its lease behind: on the same machine a dead
process is noticed at once; from elsewhere the lease runs out after LEASE.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from bot.errors import StartupError
from bot.services.clock import Clock
from storage import Database

log = logging.getLogger(__name__)

LEASE_KEY = "polling.lease"
LEASE = timedelta(seconds=90)
RENEW_AFTER = timedelta(seconds=30)


def _alive_here(owner: str) -> bool:
    """False when `owner` (host:pid:…) names a process of this machine that is gone."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:40] or not (pid.isascii() and pid.isdigit()):
        return True  # another machine's: only the lease's end tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PollingLease:
    def __init__(self, database: Database, owner: str, clock: Clock) -> None:
        self._database = database
        self._owner = owner
        self._clock = clock
        self._renewed: datetime | None = None

    async def take(self) -> None:
        """Hold the lease, or stop with one line saying who holds it."""
        await self._hold(renewing=False)

    async def renew(self) -> None:
        """Called while polling; stops the poller if another one took the lease meanwhile."""
        now = self._clock.now()
        if self._renewed is None or now - self._renewed >= RENEW_AFTER:
            await self._hold(renewing=True)

    async def release(self) -> None:
        if self._renewed is None:
            return
        async with self._database.transaction(lock=LEASE_KEY) as uow:
            holder, _ = _read(await uow.bot_facts.get(LEASE_KEY))
            if holder == self._owner:
                await uow.bot_facts.put(LEASE_KEY, "", self._clock.now())
        self._renewed = None

    async def _hold(self, *, renewing: bool) -> None:
        now = self._clock.now()
        async with self._database.transaction(lock=LEASE_KEY) as uow:
            holder, until = _read(await uow.bot_facts.get(LEASE_KEY))
            taken = holder not in ("", self._owner) and until is not None and until > now
            if taken and not _alive_here(holder):
                log.warning("the polling lease of a process that is gone is taken over")
                taken = False
            if taken:
                raise StartupError(
                    "Another poller took over this database's polling lease: this one stops."
                    if renewing
                    else "Another poller is running on this database (it holds the polling "
                    f"lease until {until:%H:%M:%S} UTC, renewed while it runs): stop it first, "
                    "or wait that long if it crashed."
                )
            await uow.bot_facts.put(LEASE_KEY, f"{self._owner}|{(now + LEASE).isoformat()}", now)
        self._renewed = now


def _read(value: str | None) -> tuple[str, datetime | None]:
    owner, _, until = (value or "").partition("|")
    try:
        return owner, datetime.fromisoformat(until) if until else None
    except ValueError:
        return owner, None

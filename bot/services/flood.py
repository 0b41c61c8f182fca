"""Floods: how fast one person may write, and what happens beyond it.

Each sender (parent, VP or coordinator) has a leaky bucket from aiolimiter, the library the
outbox limits its sends with: `burst` messages at once, then `sustained` per `per`. An update
is handled only while the bucket has room; beyond it the sender gets one kind notice per
`notice_every` and nothing else. What a parent writes to their VP is held and relayed at the
sustained pace by a scheduled task (in the database: any instance releases it, a restart
loses nothing) when it comes beyond the limit, or while ADMIT_BELOW messages they caused are
unsent, or while earlier held ones wait: a relay and its 👍 never take them past MAX_UNSENT.
Once beyond the limit, their other updates too wait for room in the outbox (turned away).

The buckets and the time of the last notice live in this process: with N instances behind
a load balancer one sender may get up to N times the rate and N notices per interval. The
outbox cap and the pace of held messages are counted in the database, for all instances.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from aiolimiter import AsyncLimiter

from bot.i18n import Catalogs, Translator
from bot.services.coordinator_settings import Flood as FloodSettings
from bot.services.privacy import IdentityVault
from bot.services.relay import FROM_PARENTS, Relay, Said
from bot.services.scheduling import TaskRegistry
from bot.services.staff import staff_translator
from bot.services.task_kinds import RELAY_PACED
from bot.services.turn import Turn
from flows.outputs import Reply
from storage import Parent, UnitOfWork
from storage.records import Task

MAX_UNSENT = 5  # messages one sender caused that wait in the outbox, at most
ADMIT_BELOW = 3  # handle an update only while fewer are unsent: a turn adds up to 3
KNOWN_SENDERS = 10_000  # buckets kept (least recently used go first)


class Flood:
    def __init__(
        self,
        vault: IdentityVault,
        catalogs: Catalogs,
        relay: Relay,
        settings: Callable[[], FloodSettings],
    ) -> None:
        self._vault = vault
        self._catalogs = catalogs
        self._relay = relay
        self._settings = settings
        self._buckets: OrderedDict[str, AsyncLimiter] = OrderedDict()
        self._noticed: OrderedDict[str, datetime] = OrderedDict()  # the last notice
        self._over: OrderedDict[str, datetime] = OrderedDict()  # the last time beyond the limit
        self._shape: tuple[int, float] | None = None

    def key(self, channel: str, user_id: int) -> str:
        """The sender's keyed hash (the same as their chat's outbox recipient)."""
        return self._vault.subject_hash(channel, user_id)

    async def screen(
        self,
        uow: UnitOfWork,
        sender: str,
        said: Said | None,
        now: datetime,
        language_hint: str | None,
        *,
        message: bool = True,
    ) -> list[Reply] | None:
        """None: handle this update. Otherwise it stops here, with these replies (a notice
        at most). A parent's message for their VP is held instead, to be relayed at the pace,
        when it comes beyond the limit, when their outbox is full, or when earlier ones wait.

        The limit counts messages (and edits); a button press (`message=False`) only needs
        room in the outbox, so a parent may click through a flow as fast as they read."""
        bucket = self._bucket(sender) if message else None
        if bucket is not None and not bucket.has_capacity():
            self._remember(self._over, sender, now)
            return await self._turned_away(uow, sender, said, now, language_hint)
        unsent = (await uow.parents.identify(sender, fresh=True)).unsent  # kept for the reception
        parent = await self._writing_to_a_vp(uow, sender, said)
        # Held messages matter only to a message for the VP: asked only then.
        waiting = unsent >= ADMIT_BELOW or (
            parent is not None and await uow.relays.paced(sender) is not None
        )
        if parent is not None and said is not None and waiting:
            await self._hold(uow, parent, said, now)
        elif unsent >= ADMIT_BELOW and self._flooding(sender, now):
            # Within the limit a quick burst is answered in full (six language names typed
            # at once); once beyond it, nothing more is answered while their outbox is full.
            return await self._turned_away(uow, sender, said, now, language_hint)
        if bucket is not None:
            await bucket.acquire()  # does not wait: there is capacity
        return [] if parent is not None and waiting else None

    async def _turned_away(
        self,
        uow: UnitOfWork,
        sender: str,
        said: Said | None,
        now: datetime,
        language_hint: str | None,
    ) -> list[Reply]:
        """An update beyond the limit: kept if it is for the VP; one notice per interval."""
        if (person := await uow.people.find(sender)) is not None:
            t = staff_translator(self._catalogs, person)
            text = t.gettext(
                "You are sending messages faster than the bot can handle. Please wait a "
                "minute. What you sent in the meantime was not passed on: send it again then."
            )
        else:
            parent = await self._writing_to_a_vp(uow, sender, said)
            if parent is not None and said is not None:
                await self._hold(uow, parent, said, now)
                t = self._catalogs.translator(parent.language)
                text = t.gettext(
                    "You are writing faster than I can keep up with. Don't worry: your "
                    "messages to the vertrouwenspersoon are kept and passed on one by one."
                )
            else:
                found = await uow.parents.find(sender)
                t = self._catalogs.translator(
                    found.language if found is not None and found.language else language_hint
                )
                text = t.gettext(
                    "You are writing faster than I can keep up with. Please wait a minute "
                    "before you write again."
                )
        if await uow.outbox.unsent_of(sender) >= MAX_UNSENT or not self._notice_due(sender, now):
            return []
        return [_say(t, text)]

    async def release(self, turn: Turn, task: Task) -> None:
        """The task that relays one held message at the allowed pace, then the next."""
        uow, sender = turn.uow, task.subject or ""
        uow.outbox.sender = sender  # what it relays counts against the parent's cap
        parent = await uow.parents.find(sender)
        if parent is None:
            return  # erased: their held messages went with them
        if await uow.outbox.unsent_of(sender) < ADMIT_BELOW:
            held = await uow.relays.paced(sender)
            if held is not None and await uow.relays.release(held.id):
                said = Said.from_json(self._vault.open(held.sealed_payload))
                replies = await self._relay.from_parent(uow, parent, said, turn.now) or []
                if replies and parent.stopped_at is None and parent.sealed_chat:
                    turn.send(int(self._vault.open(parent.sealed_chat)), replies)
        if await uow.relays.paced(sender) is not None:
            due = turn.now + self._settings().pace
            await uow.tasks.schedule(RELAY_PACED, due, turn.now, subject=sender)

    async def _writing_to_a_vp(
        self, uow: UnitOfWork, sender: str, said: Said | None
    ) -> Parent | None:
        """The parent, if this is a message the relay would pass on to their VP."""
        if said is None or not (said.kind in FROM_PARENTS or said.edited):
            return None
        parent = await uow.parents.find(sender)
        if parent is None:
            return None
        cases = await uow.cases.open_of_parent(parent.id)
        return parent if any(case.relaying for case in cases) else None

    async def _hold(self, uow: UnitOfWork, parent: Parent, said: Said, now: datetime) -> None:
        """Keep a parent's message for their VP, relayed in order at the pace by a task."""
        sealed = self._vault.seal(said.to_json())
        await uow.relays.hold(parent.subject_hash, None, sealed, now, paced=True)
        if not await uow.tasks.has_pending(RELAY_PACED, parent.subject_hash):
            await uow.tasks.schedule(RELAY_PACED, now, now, subject=parent.subject_hash)

    def _bucket(self, sender: str) -> AsyncLimiter:
        settings = self._settings()
        # aiolimiter's bucket: `burst` at once, drained at `sustained` per `per`.
        shape = (settings.burst, settings.per.total_seconds() * settings.burst / settings.sustained)
        if shape != self._shape:  # the coordinator changed the limit: start afresh
            self._buckets.clear()
            self._shape = shape
        bucket = self._buckets.get(sender)
        if bucket is None:
            bucket = self._buckets[sender] = AsyncLimiter(*shape)
            if len(self._buckets) > KNOWN_SENDERS:
                self._buckets.popitem(last=False)
        self._buckets.move_to_end(sender)
        return bucket

    def _notice_due(self, sender: str, now: datetime) -> bool:
        last = self._noticed.get(sender)
        if last is not None and now - last < self._settings().notice_every:
            return False
        self._remember(self._noticed, sender, now)
        return True

    def _flooding(self, sender: str, now: datetime) -> bool:
        """Beyond their limit within the last notice interval."""
        last = self._over.get(sender)
        return last is not None and now - last < self._settings().notice_every

    @staticmethod
    def _remember(moments: OrderedDict[str, datetime], sender: str, now: datetime) -> None:
        moments[sender] = now
        moments.move_to_end(sender)
        if len(moments) > KNOWN_SENDERS:
            moments.popitem(last=False)


def register_flood_tasks(registry: TaskRegistry, flood: Flood) -> None:
    registry.register(RELAY_PACED, flood.release)


def _say(t: Translator, text: str) -> Reply:
    return Reply(text, rtl=t.rtl)

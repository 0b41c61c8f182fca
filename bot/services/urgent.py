"""The urgent path: a VP in contact within 48 hours, or a breach that every coordinator hears.

The case is offered at once to the best few VPs (CaseDesk.open); then, if nobody accepted,
to every matching VP (4 h), then a coordinator is asked to choose one by hand (24 h); at 48 h
without a VP in contact a breach is recorded, once, and raised. The steps are scheduled
tasks, so they run once with any number of instances; quiet hours never hold them back.
Every step is in the case history.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.i18n import Catalogs, Translator
from bot.services import staff_words as words
from bot.services.cases import ASSIGN, CaseDesk, assign_action
from bot.services.coordinator_settings import CoordinatorSettings
from bot.services.scheduling import TaskRegistry
from bot.services.task_kinds import (
    URGENT_ALERT,
    URGENT_BREACH,
    URGENT_COORDINATOR,
    URGENT_EVERYONE,
)
from bot.services.turn import Turn
from flows.limits import MAX_BUTTON_LABEL
from flows.outputs import Choice, Reply
from flows.steps.emergency import CONTEXT as EMERGENCY_CONTEXT
from flows.steps.emergency import TEXT as EMERGENCY_TEXT
from storage import UnitOfWork
from storage.cases import OPEN_STATUSES
from storage.records import Case, Task

__all__ = ["ASSIGN", "UrgentLadder", "register_urgent_tasks"]
NOT_ACCEPTED = ("waiting", "offered")


class UrgentLadder:
    def __init__(
        self,
        catalogs: Catalogs,
        cases: CaseDesk,
        settings: Callable[[], CoordinatorSettings],
    ) -> None:
        self._catalogs = catalogs
        self._cases = cases
        self._settings = settings

    async def everyone(self, uow: UnitOfWork, case_id: int, now: datetime) -> None:
        """Not accepted yet: every matching VP who has not had it gets it now."""
        case = await uow.cases.lock(case_id)
        if case is None or case.status not in NOT_ACCEPTED:
            return
        await uow.cases.note(case.id, "ladder", {"step": "everyone"}, now)

        await self._cases.offer_next(uow, case, now, again=True, wave=10_000)

    async def ask_coordinator(self, uow: UnitOfWork, case_id: int, now: datetime) -> None:
        """Still nobody: every coordinator can choose a VP by hand — also one who is away,
        full or speaks another language."""
        case = await uow.cases.lock(case_id)
        if case is None or case.status not in NOT_ACCEPTED:
            return
        await uow.cases.note(case.id, "ladder", {"step": "coordinator"}, now)

        load = await uow.cases.load_per_vp()
        blocked = await uow.cases.blocked_for(case.parent_id)  # never back to who blocked
        registered = await uow.people.vps()
        vps = [vp for vp in registered if vp.active and vp.id not in blocked]
        nobody_speaks = not any(case.language in vp.languages for vp in vps)
        ranked = sorted(vps, key=lambda p: (case.language not in p.languages, load.get(p.id, 0)))
        left = self._settings().urgent.breach_after - (now - case.created_at)

        def asked(t: Translator) -> list[Reply]:
            rows = []
            for vp in ranked:  # the button says who, in which languages, and how full
                label = (
                    f"{vp.name} ({words.languages(t, vp.languages)}) "
                    f"{load.get(vp.id, 0)}/{vp.capacity}"
                )
                rows.append((Choice(label[:MAX_BUTTON_LABEL], assign_action(case.id, vp.id)),))
            text = ""
            if nobody_speaks:  # asked at once, not after 24 h: say why
                text = (
                    t.gettext("Nobody speaks {language}.").format(
                        language=words.language(t, case.language)
                    )
                    + "\n"
                )
            text += t.gettext(
                "Urgent question {alias} ({language}, {topic}) has no vertrouwenspersoon yet; "
                "{left} left until the deadline. Who takes it?"
            ).format(
                alias=case.alias,
                language=words.language(t, case.language),
                topic=words.topic(t, case.topic),
                left=words.duration(t, max(left, timedelta(0))),
            )
            if not rows and not registered:
                text += "\n" + t.gettext("No vertrouwenspersonen are registered yet.")
            elif not rows:  # all inactive, or blocked by this parent
                text += "\n" + t.gettext(
                    "No active vertrouwenspersoon can take it: invite one, or activate one "
                    "with /activate N."
                )
            return [Reply(text, choices=tuple(rows))]

        await self._cases.tell_coordinators(uow, case, asked, now)

    async def breach(self, uow: UnitOfWork, case_id: int, now: datetime) -> None:
        """48 hours without a VP in contact: recorded once, raised to every coordinator, and
        raised again every `breach_repeat` until contact; the parent hears we are still
        looking. A VP who gave the case back before contact never closed it (CaseDesk.close),
        so only the parent ends the clock without a breach: by withdrawing, /forget or /stop.
        """
        case = await uow.cases.lock(case_id)
        if case is None or not await self._still_waiting(uow, case):
            return
        if not await uow.cases.breach(case.id, now):
            return  # recorded before
        minutes = int((now - case.created_at).total_seconds()) // 60
        await uow.cases.note(case.id, "breach", {"minutes": minutes}, now)

        await self._alert(uow, case, now)
        t = self._catalogs.translator(case.language)
        text = t.gettext(
            "We are sorry: we have not yet found a vertrouwenspersoon for your urgent "
            "question. We are still looking, and a coordinator is now helping. "
            "If someone is in danger now, please call:"
        )
        emergency = t.pgettext(EMERGENCY_CONTEXT, EMERGENCY_TEXT)
        await self._cases.to_parent(
            uow, case, [Reply(text, rtl=t.rtl), Reply(emergency, rtl=t.rtl)], now
        )

    async def alert_again(self, uow: UnitOfWork, case_id: int, now: datetime) -> None:
        """The breach stands: the coordinators hear again, until someone is in contact."""
        case = await uow.cases.lock(case_id)
        if case is None or case.breached_at is None or not await self._still_waiting(uow, case):
            return
        minutes = int((now - case.created_at).total_seconds()) // 60
        await uow.cases.note(case.id, "alert", {"minutes": minutes}, now)

        await self._alert(uow, case, now)

    async def _still_waiting(self, uow: UnitOfWork, case: Case) -> bool:
        """Open, nobody in contact, and the parent has not asked us to stop."""
        if case.status not in OPEN_STATUSES or case.first_contact_at is not None:
            return False
        parent = await uow.parents.get(case.parent_id)
        return parent is not None and parent.stopped_at is None

    async def _alert(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        urgent = self._settings().urgent
        waited = now - case.created_at

        def alert(t: Translator) -> list[Reply]:
            hours = words.duration(t, waited)
            text = t.gettext(
                "BREACH: urgent question {alias} has no vertrouwenspersoon in contact after "
                "{hours}. Please act now: /case {alias}"
            )
            return [Reply(text.format(alias=case.alias, hours=hours))]

        await self._cases.tell_coordinators(uow, case, alert, now)
        due = now + urgent.breach_repeat
        await uow.tasks.schedule(
            URGENT_ALERT,
            due,
            now,
            payload={"case": case.id},
            idempotency_key=f"{URGENT_ALERT}:{case.id}:{due.isoformat()}",
        )

    def view(self, t: Translator, cases: list[Case], now: datetime) -> str:
        """/urgent: open urgent cases with the time left; the last 30 days' figures."""
        limit = self._settings().urgent.breach_after
        lines = [t.gettext("Open urgent questions:")]
        open_ones = [c for c in cases if c.status in OPEN_STATUSES]
        for case in open_ones:
            line = words.case_line(t, case)  # its state says "in contact" when it is
            if case.first_contact_at is None and case.breached_at is not None:
                line += ", " + t.gettext("BREACH")
            elif case.first_contact_at is None:
                left = max(limit - (now - case.created_at), timedelta(0))
                line += ", " + t.gettext("{left} left").format(left=words.duration(t, left))
            lines.append(line)
        if not open_ones:
            lines.append(t.gettext("none"))
        recent = [c for c in cases if c.created_at >= now - timedelta(days=30)]
        accept = sorted(c.accepted_at - c.created_at for c in recent if c.accepted_at)
        contact = sorted(c.first_contact_at - c.created_at for c in recent if c.first_contact_at)
        breaches = sum(1 for c in recent if c.breached_at is not None)
        lines += [
            "",
            t.ngettext(
                "Last 30 days: {count} urgent question",
                "Last 30 days: {count} urgent questions",
                len(recent),
            ).format(count=len(recent)),
            t.gettext("to acceptance: median {median}, maximum {maximum}").format(
                median=_median(t, accept), maximum=_longest(t, accept)
            ),
            t.gettext("to first contact: median {median}, maximum {maximum}").format(
                median=_median(t, contact), maximum=_longest(t, contact)
            ),
            t.ngettext(
                "{count} time the deadline was missed",
                "{count} times the deadline was missed",
                breaches,
            ).format(count=breaches),
        ]
        return "\n".join(lines)


def _median(t: Translator, values: list[timedelta]) -> str:
    if not values:
        return "-"
    middle = len(values) // 2
    if len(values) % 2:
        return words.duration(t, values[middle])
    return words.duration(t, (values[middle - 1] + values[middle]) / 2)


def _longest(t: Translator, values: list[timedelta]) -> str:
    return words.duration(t, values[-1]) if values else "-"


def register_urgent_tasks(registry: TaskRegistry, ladder: UrgentLadder) -> None:
    def case_of(task: Task) -> int:
        return int(json.loads(task.payload)["case"])

    async def everyone(turn: Turn, task: Task) -> None:
        await ladder.everyone(turn.uow, case_of(task), turn.now)

    async def ask_coordinator(turn: Turn, task: Task) -> None:
        await ladder.ask_coordinator(turn.uow, case_of(task), turn.now)

    async def breach(turn: Turn, task: Task) -> None:
        await ladder.breach(turn.uow, case_of(task), turn.now)

    registry.register(URGENT_EVERYONE, everyone)
    registry.register(URGENT_COORDINATOR, ask_coordinator)

    async def alert_again(turn: Turn, task: Task) -> None:
        await ladder.alert_again(turn.uow, case_of(task), turn.now)

    registry.register(URGENT_BREACH, breach)
    registry.register(URGENT_ALERT, alert_again)

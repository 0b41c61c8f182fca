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
from bot.services.cases import CaseDesk
from bot.services.coordinator_settings import CoordinatorSettings
from bot.services.scheduling import TaskRegistry
from bot.services.task_kinds import URGENT_BREACH, URGENT_COORDINATOR, URGENT_EVERYONE
from bot.services.turn import Turn
from flows.limits import MAX_BUTTON_LABEL
from flows.outputs import Choice, Reply
from storage import UnitOfWork
from storage.cases import OPEN_STATUSES
from storage.records import Case, Task

ASSIGN = "assign:"  # a coordinator's choice: assign:<case>:<person>
NOT_ACCEPTED = ("waiting", "offered")


def _hours(delta: timedelta) -> str:
    hours, rest = divmod(int(delta.total_seconds()) // 60, 60)
    return f"{hours}h{rest:02d}" if rest else f"{hours}h"


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
        await uow.cases.note(case.id, "ladder", "offered to every matching VP", now)
        await self._cases.offer_next(uow, case, now, again=True, wave=10_000)

    async def ask_coordinator(self, uow: UnitOfWork, case_id: int, now: datetime) -> None:
        """Still nobody: every coordinator can choose a VP by hand — also one who is away,
        full or speaks another language."""
        case = await uow.cases.lock(case_id)
        if case is None or case.status not in NOT_ACCEPTED:
            return
        await uow.cases.note(case.id, "ladder", "a coordinator is asked to assign", now)
        load = await uow.cases.load_per_vp()
        vps = [vp for vp in await uow.people.vps() if vp.active]
        rows = []
        for vp in sorted(vps, key=lambda p: (case.language not in p.languages, load.get(p.id, 0))):
            label = f"{vp.name} ({','.join(vp.languages)}) {load.get(vp.id, 0)}/{vp.capacity}"
            rows.append((Choice(label[:MAX_BUTTON_LABEL], f"{ASSIGN}{case.id}:{vp.id}"),))
        left = self._settings().urgent.breach_after - (now - case.created_at)

        def asked(t: Translator) -> list[Reply]:
            text = t.gettext(
                "Urgent question {alias} ({language}, {topic}) has no vertrouwenspersoon yet; "
                "{left} left until the deadline. Who takes it?"
            ).format(
                alias=case.alias, language=case.language, topic=case.topic or "-", left=_hours(left)
            )
            if not rows:
                text += "\n" + t.gettext("No vertrouwenspersonen are registered yet.")
            return [Reply(text, choices=tuple(rows))]

        await self._cases.tell_coordinators(uow, case, asked, now)

    async def breach(self, uow: UnitOfWork, case_id: int, now: datetime) -> None:
        """48 hours without a VP in contact: recorded once, raised to every coordinator."""
        case = await uow.cases.lock(case_id)
        if case is None or case.status not in OPEN_STATUSES or case.first_contact_at is not None:
            return
        if not await uow.cases.breach(case.id, now):
            return  # recorded before
        await uow.cases.note(
            case.id, "breach", f"no VP in contact after {_hours(now - case.created_at)}", now
        )
        hours = _hours(self._settings().urgent.breach_after)

        def alert(t: Translator) -> list[Reply]:
            text = t.gettext(
                "BREACH: urgent question {alias} has no vertrouwenspersoon in contact after "
                "{hours}. Please act now: /case {alias}"
            )
            return [Reply(text.format(alias=case.alias, hours=hours))]

        await self._cases.tell_coordinators(uow, case, alert, now)

    def view(self, t: Translator, cases: list[Case], now: datetime) -> str:
        """/urgent: open urgent cases with the time left; the last 30 days' figures."""
        limit = self._settings().urgent.breach_after
        lines = [t.gettext("Open urgent questions:")]
        open_ones = [c for c in cases if c.status in OPEN_STATUSES]
        for case in open_ones:
            if case.first_contact_at is not None:
                state = t.gettext("in contact")
            elif case.breached_at is not None:
                state = t.gettext("BREACH")
            else:
                state = t.gettext("{left} left").format(
                    left=_hours(max(limit - (now - case.created_at), timedelta(0)))
                )
            lines.append(f"{case.alias} – {case.language}, {case.status}, {state}")
        if not open_ones:
            lines.append(t.gettext("none"))
        recent = [c for c in cases if c.created_at >= now - timedelta(days=30)]
        accept = sorted(c.accepted_at - c.created_at for c in recent if c.accepted_at)
        contact = sorted(c.first_contact_at - c.created_at for c in recent if c.first_contact_at)
        breaches = sum(1 for c in recent if c.breached_at is not None)
        lines += [
            "",
            t.gettext("Last 30 days: {count} urgent questions").format(count=len(recent)),
            t.gettext("to acceptance: median {median}, maximum {maximum}").format(
                median=_median(accept), maximum=_hours(accept[-1]) if accept else "-"
            ),
            t.gettext("to first contact: median {median}, maximum {maximum}").format(
                median=_median(contact), maximum=_hours(contact[-1]) if contact else "-"
            ),
            t.gettext("breaches: {count}").format(count=breaches),
        ]
        return "\n".join(lines)


def _median(values: list[timedelta]) -> str:
    if not values:
        return "-"
    middle = len(values) // 2
    if len(values) % 2:
        return _hours(values[middle])
    return _hours((values[middle - 1] + values[middle]) / 2)


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
    registry.register(URGENT_BREACH, breach)

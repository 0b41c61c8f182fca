"""`python -m bot simulate`: a week of synthetic cases on a virtual clock, through the
production routing, offers, urgent ladder and task runner, against a throw-away SQLite
database. VPs answer quickly, late or never; the SLA figures come out at the end.

Nothing here reaches Telegram: parents and VPs are made up and their messages stay in the
throw-away outbox.
"""

from __future__ import annotations

import json
import random
import secrets
import statistics
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.runtime import Core, open_core
from bot.services.cases import ASSIGN
from bot.services.clock import ManualClock
from bot.services.outbox import Outbox
from bot.services.relay import Said
from bot.services.scheduling import TaskRunner
from bot.services.staff import Staff
from bot.settings import DEFAULT_FLOWS_DIR, Settings
from storage import UnitOfWork
from storage.people import Profile

CHANNEL = "simulated"
START = datetime(2026, 11, 23, 8, tzinfo=UTC)  # a Monday morning
STEP = timedelta(minutes=10)
TOPICS = ("parenting", "school", "money", "housing", "health", "safety", "other")


@dataclass(frozen=True)
class Behaviour:
    """How a VP answers an offer, writes to the parent, and closes the case (None: never)."""

    accept_after: tuple[timedelta, timedelta] | None
    write_after: tuple[timedelta, timedelta] | None
    close_after: tuple[timedelta, timedelta] | None = (timedelta(days=1), timedelta(days=3))


BEHAVIOURS = {
    "quick": Behaviour(
        (timedelta(minutes=5), timedelta(minutes=40)), (timedelta(minutes=5), timedelta(hours=1))
    ),
    "late": Behaviour(
        (timedelta(hours=5), timedelta(hours=20)), (timedelta(hours=2), timedelta(hours=20))
    ),
    "never": Behaviour(None, None),
}


@dataclass(frozen=True)
class Scenario:
    name: str
    vps: tuple[str, ...]  # one behaviour per VP
    days: int = 7
    cases_per_day: int = 6
    urgent_share: float = 0.3
    coordinator_assigns_after: timedelta | None = None  # after the ladder asks; to a quick VP
    language: str = "nl"  # of every parent
    vp_languages: tuple[str, ...] = ("nl",)


SCENARIOS = {
    "mixed": Scenario(
        "mixed",
        ("quick", "quick", "late", "late", "never"),
        coordinator_assigns_after=timedelta(hours=2),
    ),
    "quick": Scenario("quick", ("quick", "quick", "quick")),
    "nobody answers": Scenario("nobody answers", ("never", "never", "never")),
    # Ukrainian parents, nobody speaks Ukrainian: the coordinator gets the assign buttons at
    # once (not after 24 h) and gives each urgent case by hand, confirmed across languages.
    # Without a duo partner who speaks Ukrainian nobody counts as in contact: they breach.
    "no language match": Scenario(
        "no language match",
        ("quick", "quick", "late"),
        coordinator_assigns_after=timedelta(hours=1),
        language="uk",
    ),
}


@dataclass
class Report:
    scenario: str
    cases: int
    urgent: int
    accepted: list[timedelta] = field(default_factory=list)
    contacted: list[timedelta] = field(default_factory=list)
    urgent_accepted: list[timedelta] = field(default_factory=list)
    urgent_contacted: list[timedelta] = field(default_factory=list)
    breaches: int = 0
    urgent_breached_once: bool = True
    assigned_by_hand: list[timedelta] = field(default_factory=list)  # urgent, from opening

    def lines(self) -> list[str]:
        def row(name: str, values: list[timedelta]) -> str:
            return f"  {name:<28} {len(values):>4}  {_figures(values)}"

        return [
            f"scenario: {self.scenario} — {self.cases} cases ({self.urgent} urgent) in "
            "a simulated week",
            f"  {'':<28} {'n':>4}  median / p95 / max",
            row("time to acceptance", self.accepted),
            row("time to first contact", self.contacted),
            row("urgent: to acceptance", self.urgent_accepted),
            row("urgent: to first contact", self.urgent_contacted),
            row("urgent: to hand assignment", self.assigned_by_hand),
            f"  breaches of the 48-hour path: {self.breaches} of {self.urgent} urgent cases",
        ]


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f}h"


def _figures(values: list[timedelta]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = timedelta(seconds=statistics.median(v.total_seconds() for v in ordered))
    return f"{_hours(median)} / {_hours(p95)} / {_hours(ordered[-1])}"


def _delay(rng: random.Random, span: tuple[timedelta, timedelta]) -> timedelta:
    low, high = span
    return low + (high - low) * rng.random()


class Simulation:
    def __init__(self, core: Core, clock: ManualClock, scenario: Scenario, seed: int) -> None:
        self.core = core
        self.scenario = scenario
        self.rng = random.Random(seed)
        self.clock = clock  # the core's: virtual time
        self.runner = TaskRunner(
            core.database, core.tasks, Outbox(core.vault, "telegram"), owner="simulate"
        )
        self.behaviour: dict[int, Behaviour] = {}
        self.quick: list[int] = []
        self.coordinator: int | None = None
        self.decided: dict[tuple[str, int], datetime] = {}  # (what, id) → when it happens
        self.assigned: dict[int, datetime] = {}  # urgent case → when the coordinator gave it

    async def run(self) -> Report:
        await self._people()
        arrivals = self._arrivals()
        end = START + timedelta(days=self.scenario.days, hours=50)  # every ladder ends
        while self.clock.now() < end:
            now = self.clock.now()
            while arrivals and arrivals[0][0] <= now:
                _, urgent = arrivals.pop(0)
                await self._new_case(urgent, now)
            await self.runner.tick(now)
            await self._people_act(now)
            self.clock.advance(STEP)
        return await self._report()

    async def _people(self) -> None:
        staff, now = Staff(self.core.vault), self.clock.now()
        async with self.core.database.transaction() as uow:
            for n, name in enumerate(self.scenario.vps, start=1):
                languages = self.scenario.vp_languages
                profile = Profile("vp", f"VP {n} ({name})", languages, "fm"[n % 2], capacity=6)
                code, _ = await staff.invite(uow, profile, now, timedelta(days=1))
                person = await staff.register(uow, code, CHANNEL, f"vp-{n}", now)
                assert person is not None
                self.behaviour[person.id] = BEHAVIOURS[name]
                if name == "quick":
                    self.quick.append(person.id)
            if self.scenario.coordinator_assigns_after is not None:
                code, _ = await staff.invite(
                    uow, Profile("coordinator", "C"), now, timedelta(days=1)
                )
                person = await staff.register(uow, code, CHANNEL, "coordinator", now)
                assert person is not None
                self.coordinator = person.id

    def _arrivals(self) -> list[tuple[datetime, bool]]:
        total = self.scenario.days * self.scenario.cases_per_day
        moments = sorted(
            START + timedelta(seconds=self.rng.uniform(0, self.scenario.days * 86400))
            for _ in range(total)
        )
        return [(m, self.rng.random() < self.scenario.urgent_share) for m in moments]

    async def _new_case(self, urgent: bool, now: datetime) -> None:
        key = self.core.vault.subject_hash(CHANNEL, secrets.token_hex(8))
        async with self.core.database.transaction() as uow:
            parent = await uow.parents.get_or_create(CHANNEL, key, self.core.vault.seal(0), now)
            language = self.scenario.language
            await uow.parents.set_language(parent.id, language, now)
            answers = {"topic": self.rng.choice(TOPICS), "question": "(simulated)"}
            await self.core.reception.cases.open(uow, parent.id, language, answers, urgent, now)

    def _when(
        self, what: str, key: int, start: datetime, span: tuple[timedelta, timedelta] | None
    ) -> datetime | None:
        if span is None:
            return None
        if (what, key) not in self.decided:
            self.decided[(what, key)] = start + _delay(self.rng, span)
        return self.decided[(what, key)]

    async def _people_act(self, now: datetime) -> None:
        desk = self.core.reception.cases
        async with self.core.database.transaction() as uow:
            for offer_id, _, person_id, offered_at in await uow.cases.open_offers():
                when = self._when(
                    "accept", offer_id, offered_at, self.behaviour[person_id].accept_after
                )
                person = await uow.people.get(person_id)
                if when is not None and when <= now and person is not None:
                    await desk.answer(uow, person, offer_id, "yes", now)
            for vp_id, behaviour in self.behaviour.items():
                for case in await uow.cases.of_vp(vp_id):
                    if case.status == "in_contact" and case.first_contact_at is not None:
                        start = case.first_contact_at
                        when = self._when("close", case.id, start, behaviour.close_after)
                        person = await uow.people.get(vp_id)
                        if when is not None and when <= now and person is not None:
                            await desk.close(uow, person, case, "helped", now)
                        continue
                    if case.status != "accepted" or case.accepted_at is None:
                        continue
                    when = self._when("write", case.id, case.accepted_at, behaviour.write_after)
                    person = await uow.people.get(vp_id)
                    if when is not None and when <= now and person is not None:
                        said = Said("text", 0, case.id, "(simulated first message)")
                        await desk.relay.staff_to(uow, person, case, said, now)
            if self.coordinator is not None and self.quick:
                await self._coordinator_assigns(uow, now)

    async def _coordinator_assigns(self, uow: UnitOfWork, now: datetime) -> None:
        """The coordinator answers the ladder's question (its assign buttons, read from their
        outbox) some time after it was asked, confirming across languages."""
        assert self.coordinator is not None
        after = self.scenario.coordinator_assigns_after
        assert after is not None
        for case_id, asked_at in (await self._asked(uow)).items():
            case = await uow.cases.get(case_id)
            if case is None or case.status not in ("waiting", "offered") or now < asked_at + after:
                continue
            coordinator = await uow.people.get(self.coordinator)
            vp = await uow.people.get(self.rng.choice(self.quick))
            assert coordinator is not None and vp is not None
            desk = self.core.reception.cases
            await desk.assign_by_hand(uow, coordinator, case, vp, now, confirmed=True)
            self.assigned.setdefault(case.id, now)

    async def _asked(self, uow: UnitOfWork) -> dict[int, datetime]:
        """Each case the coordinator was asked to assign by button, and when (first time)."""
        assert self.coordinator is not None
        person = await uow.people.get(self.coordinator)
        assert person is not None
        asked: dict[int, datetime] = {}
        for at, payload in await uow.outbox.written_to(person.subject_hash):
            for row in json.loads(self.core.vault.open(payload)).get("choices") or []:
                data = str(row[0][1])
                if data.startswith(ASSIGN):
                    asked.setdefault(int(data.removeprefix(ASSIGN).split(":")[0]), at)
        return asked

    async def _report(self) -> Report:
        async with self.core.database.transaction() as uow:
            cases = await uow.cases.everything()
            histories = {c.id: [k for k, _ in await uow.cases.history(c.id)] for c in cases}
        report = Report(self.scenario.name, len(cases), sum(c.urgent for c in cases))
        for case in cases:
            if case.accepted_at is not None:
                report.accepted.append(case.accepted_at - case.created_at)
                if case.urgent:
                    report.urgent_accepted.append(case.accepted_at - case.created_at)
            if case.first_contact_at is not None:
                report.contacted.append(case.first_contact_at - case.created_at)
                if case.urgent:
                    report.urgent_contacted.append(case.first_contact_at - case.created_at)
            if case.id in self.assigned:
                report.assigned_by_hand.append(self.assigned[case.id] - case.created_at)
            count = histories[case.id].count("breach")
            report.breaches += count
            if case.urgent and case.first_contact_at is None and count != 1:
                report.urgent_breached_once = False
        return report


async def simulate(scenario: Scenario, seed: int = 1) -> Report:
    """Run one scenario in a throw-away folder and database."""
    with tempfile.TemporaryDirectory(prefix="tussenin-simulate-") as folder:
        settings = Settings(
            telegram_token=None,
            telegram_api_url="http://127.0.0.1:9/bot",  # never called
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'simulate.db'}",
            secret_key=SecretStr(secrets.token_urlsafe(32)),
            webhook_url=None,
            webhook_secret=SecretStr(secrets.token_urlsafe(16)),
            port=0,
            timezone=ZoneInfo("Europe/Amsterdam"),
            flows_dir=DEFAULT_FLOWS_DIR,
        )
        clock = ManualClock(START)
        core = await open_core(settings, clock=clock)
        try:
            return await Simulation(core, clock, scenario, seed).run()
        finally:
            await core.close()

"""`python -m bot simulate`: a week of synthetic cases on a virtual clock, through the
production routing, offers, urgent ladder and task runner, against a throw-away SQLite
database. VPs answer quickly, late or never; the SLA figures come out at the end.

The referral scenario follows each case on: the VP refers it to a partner, the parent
answers the check-ins (played here: follow-up flows reach Telegram parents only), the VP
mediates when it stalls; the time to the partner and the share mediated come out.

Nothing here reaches Telegram: parents and VPs are made up and their messages stay in the
throw-away outbox.
"""

from __future__ import annotations

import json
import random
import secrets
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import SecretStr

from bot.runtime import Core, open_core
from bot.services.cases import ASSIGN, NO_ANSWER
from bot.services.clock import ManualClock
from bot.services.outbox import Outbox
from bot.services.referrals import REFERRAL_FLOW
from bot.services.relay import Said
from bot.services.scheduling import TaskRunner
from bot.services.staff import Staff
from bot.services.task_kinds import FOLLOW_UP
from bot.settings import DEFAULT_FLOWS_DIR, Settings
from storage import UnitOfWork
from storage.cases import OPEN_STATUSES
from storage.people import Profile
from storage.records import Case, Person, Referral

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


# The partners a VP refers to in the referral scenario (added to the settings).
PARTNERS = (
    {"id": "cjg_zuidoost", "name": "CJG Zuidoost", "kind": "cjg", "languages": ["nl", "ar"]},
    {"id": "wijkteam_oost", "name": "Wijkteam Oost", "kind": "wijkteam", "languages": ["nl"]},
)
# What a parent answers to the check-ins in turn, and how often; after the last answer
# they stay silent (the no-answer clock closes the case). A second "not yet" or a "stuck"
# opens a mediation: the VP records a step and asks again.
PARENT_ANSWERS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("helps",), 55),
    (("not_yet", "helps"), 10),
    (("not_yet", "not_yet", "helps"), 6),
    (("stuck", "helps"), 12),
    (("stuck", "stuck", "helps"), 4),
    (("stuck",), 3),
    ((), 10),
)


@dataclass(frozen=True)
class Referring:
    """How the VPs refer their cases, mediate and close, and how soon parents answer."""

    after: tuple[timedelta, timedelta] = (timedelta(hours=2), timedelta(hours=30))  # contact
    appointment_within: int = 14  # days from the referral; the day is seeded
    no_date_share: float = 0.25  # referred without an appointment day
    answer_after: tuple[timedelta, timedelta] = (timedelta(minutes=10), timedelta(hours=20))
    step_after: tuple[timedelta, timedelta] = (timedelta(hours=2), timedelta(days=1))
    close_after: tuple[timedelta, timedelta] = (timedelta(hours=1), timedelta(days=1))
    timings: tuple[tuple[str, str], ...] = ()  # settings `referrals:` changed, e.g. shorter


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
    referring: Referring | None = None  # None: VPs close after contact, nobody is referred


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
    # Every case is referred to a partner after contact and followed with the shipped
    # referral timings until each referral ended.
    "referral": Scenario(
        "referral", ("quick", "quick", "quick"), urgent_share=0.0, referring=Referring()
    ),
}


@dataclass
class ReferralFigures:
    """Read from the referral rows at the end (nothing is purged in a simulated run)."""

    referrals: int
    to_partner: list[timedelta]  # referred → the parent says contact with the partner started
    stalled: int  # needed a mediation
    no_answer: int  # closed as "no answer"
    still_open: int  # referrals that had not ended when the run stopped
    timings: str  # the settings' referral timings, as the run used them
    rows: list[Referral] = field(default_factory=list)  # each referral as it ended
    partners: list[dict[str, int | str]] = field(default_factory=list)  # the counts per week


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
    days: int = 7
    referral: ReferralFigures | None = None

    def lines(self) -> list[str]:
        def row(
            name: str, values: list[timedelta], unit: Callable[[timedelta], str] = _hours
        ) -> str:
            return f"  {name:<28} {len(values):>4}  {_figures(values, unit)}"

        if self.referral is not None:
            return self._referral_lines(self.referral, row)
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

    def _referral_lines(self, figures: ReferralFigures, row: Callable[..., str]) -> list[str]:
        share = 100 * figures.stalled / figures.referrals if figures.referrals else 0.0
        return [
            f"scenario: {self.scenario} — {self.cases} cases in {self.days} simulated days, "
            "each followed until its referral ended",
            f"  timings: {figures.timings}",
            f"  {'':<28} {'n':>4}  median / p95 / max",
            row("time to acceptance", self.accepted),
            row("time to first contact", self.contacted),
            row("referral to partner contact", figures.to_partner, _days),
            f"  referrals: {figures.referrals}; the parent reached the partner in "
            f"{len(figures.to_partner)}",
            f"  needed mediation: {share:.1f}% ({figures.stalled} of {figures.referrals} "
            "referrals)",
            f"  closed as no answer: {figures.no_answer}; still open at the end: "
            f"{figures.still_open}",
        ]


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f}h"


def _days(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 86400:.1f}d"


def _figures(values: list[timedelta], unit: Callable[[timedelta], str] = _hours) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = timedelta(seconds=statistics.median(v.total_seconds() for v in ordered))
    return f"{unit(median)} / {unit(p95)} / {unit(ordered[-1])}"


def _span(delta: timedelta) -> str:
    """A duration as the settings file writes it: 14d, 36h, 90m."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


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
        # The parents' side of the referral flow, which the simulation plays itself.
        self.scripts: dict[int, list[str]] = {}  # case → the answers its parent has left
        self.checkins: set[int] = set()  # check-in tasks already shown
        self.asking: dict[int, tuple[datetime, Case]] = {}  # referral → when it is shown
        self.answering: dict[int, tuple[datetime, Case, str]] = {}  # referral → the answer
        self.stepped: dict[int, datetime] = {}  # mediation → the VP's last step

    async def run(self) -> Report:
        await self._people()
        if self.scenario.referring is not None:
            self._partners()
        arrivals = self._arrivals()
        end = START + timedelta(days=self.scenario.days) + self._tail()  # every ladder ends
        while self.clock.now() < end:
            now = self.clock.now()
            busy = 0
            while arrivals and arrivals[0][0] <= now:
                _, urgent = arrivals.pop(0)
                await self._new_case(urgent, now)
                busy += 1
            if self.scenario.referring is not None:
                busy += await self._parents_answer(now)
            busy += await self.runner.tick(now)
            busy += await self._people_act(now)
            if self.scenario.referring is None or busy:
                self.clock.advance(STEP)
                continue
            # A step where nothing happened: on to the next step where something can.
            after = await self._next_event(now, arrivals)
            if after is None:
                break  # nothing open and nothing to come
            self.clock.advance(STEP * max(1, -((now - after) // STEP)))
        return await self._report()

    def _tail(self) -> timedelta:
        """After the last arrival: long enough for the urgent ladder, or for a referral's
        check-ins, answers, mediation rounds and no-answer clock."""
        referring = self.scenario.referring
        if referring is None:
            return timedelta(hours=50)
        timing = self.core.coordinator.current.referrals
        first = max(
            timedelta(days=referring.appointment_within + 2) + timing.checkin_after_appointment,
            timing.checkin_without_date,
        )
        rounds = max(len(answers) for answers, _ in PARENT_ANSWERS) + 1
        per_round = (
            timing.ask_again_after
            + referring.answer_after[1]
            + referring.step_after[1]
            + timedelta(days=1)  # quiet hours
        )
        return referring.after[1] + first + rounds * per_round + timing.no_answer_after

    def _partners(self) -> None:
        """The partners, and the scenario's referral timings, served as a published version."""
        assert self.scenario.referring is not None
        data = yaml.safe_load(self.core.coordinator.text)
        data["partners"] = [dict(partner) for partner in PARTNERS]
        data["referrals"] = {
            **(data.get("referrals") or {}),
            **dict(self.scenario.referring.timings),
        }
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        problems = self.core.coordinator.apply(text, "the simulation")
        if problems:
            raise ValueError(f"the simulated settings are invalid: {'; '.join(problems)}")

    async def _next_event(
        self, now: datetime, arrivals: list[tuple[datetime, bool]]
    ) -> datetime | None:
        """When something can next happen: an arrival, a task, a move a person decided on;
        None when no case is open and none is to come."""
        async with self.core.database.transaction() as uow:
            due = [at for _, at in await uow.tasks.pending_of(tuple(self.core.tasks.names()))]
            still_open = [c for c in await uow.cases.everything() if c.status in OPEN_STATUSES]
        if not arrivals and not still_open:
            return None
        moments = [
            *due,
            *(at for at in self.decided.values() if at > now),
            *(at for at, _ in self.asking.values()),
            *(at for at, _, _ in self.answering.values()),
            *(at for at, _ in arrivals[:1]),
        ]
        return min(moments, default=None)

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

    async def _people_act(self, now: datetime) -> int:
        """The VPs (and the coordinator) act on what is due; returns how often VPs acted."""
        desk = self.core.reception.cases
        acted = 0
        async with self.core.database.transaction() as uow:
            for offer_id, _, person_id, offered_at in await uow.cases.open_offers():
                when = self._when(
                    "accept", offer_id, offered_at, self.behaviour[person_id].accept_after
                )
                person = await uow.people.get(person_id)
                if when is not None and when <= now and person is not None:
                    await desk.answer(uow, person, offer_id, "yes", now)
                    acted += 1
            for vp_id, behaviour in self.behaviour.items():
                for case in await uow.cases.of_vp(vp_id):
                    person = await uow.people.get(vp_id)
                    if person is not None:
                        acted += await self._vp_acts(uow, person, behaviour, case, now)
            if self.coordinator is not None and self.quick:
                await self._coordinator_assigns(uow, now)
        return acted

    async def _vp_acts(
        self, uow: UnitOfWork, vp: Person, behaviour: Behaviour, case: Case, now: datetime
    ) -> int:
        """A VP writes first, then closes the case (or refers it, and follows it on)."""
        desk = self.core.reception.cases
        if case.status == "referred":
            return await self._follow_referral(uow, vp, case, now)
        if case.status == "in_contact" and case.first_contact_at is not None:
            if self.scenario.referring is not None:
                return await self._refer(uow, vp, case, now)
            when = self._when("close", case.id, case.first_contact_at, behaviour.close_after)
            if when is not None and when <= now:
                await desk.close(uow, vp, case, "helped", now)
                return 1
            return 0
        if case.status != "accepted" or case.accepted_at is None:
            return 0
        when = self._when("write", case.id, case.accepted_at, behaviour.write_after)
        if when is not None and when <= now:
            said = Said("text", 0, case.id, "(simulated first message)")
            await desk.relay.staff_to(uow, vp, case, said, now)
            return 1
        return 0

    async def _refer(self, uow: UnitOfWork, vp: Person, case: Case, now: datetime) -> int:
        """Some hours after contact the VP refers the case: a partner and an appointment day,
        or none (seeded). What the parent will answer is drawn with it."""
        referring = self.scenario.referring
        assert referring is not None and case.first_contact_at is not None
        when = self._when("refer", case.id, case.first_contact_at, referring.after)
        if when is None or when > now:
            return 0
        partner = self.core.coordinator.current.partner(str(self.rng.choice(PARTNERS)["id"]))
        assert partner is not None
        day = None
        if self.rng.random() >= referring.no_date_share:
            today = now.astimezone(self.core.settings.timezone).date()
            day = today + timedelta(days=self.rng.randint(0, referring.appointment_within))
        scripts = [list(answers) for answers, _ in PARENT_ANSWERS]
        self.scripts[case.id] = self.rng.choices(scripts, [w for _, w in PARENT_ANSWERS])[0]
        await self.core.reception.referrals.refer(uow, vp, case, partner, day, now)
        return 1

    async def _follow_referral(self, uow: UnitOfWork, vp: Person, case: Case, now: datetime) -> int:
        """After "helps" the VP closes the case as helped. While a mediation is open they
        record a step and ask the parent again; once more after each answer that it stalls."""
        referring = self.scenario.referring
        referral = await uow.referrals.current(case.id)
        if referring is None or referral is None:
            return 0
        if referral.reached_at is not None:
            when = self._when("close referred", case.id, referral.reached_at, referring.close_after)
            if when is None or when > now:
                return 0
            await self.core.reception.cases.close(uow, vp, case, "helped", now)
            return 1
        mediation = await uow.referrals.mediation(case.id)
        if mediation is None:
            return 0
        last = self.stepped.get(mediation.id)
        if last is None:
            start = mediation.opened_at
        elif referral.answered_at is not None and referral.answered_at > last:
            start = referral.answered_at  # asked again, and it is still stuck
        else:
            return 0  # the parent has not answered since the last step
        when = self._when(f"step {mediation.steps}", mediation.id, start, referring.step_after)
        if when is None or when > now:
            return 0
        text = f"{case.alias} Called {self._partner_name(referral)}: a new appointment is planned."
        await self.core.reception.referrals.step(uow, vp, [case], text, now)
        await self.core.reception.referrals.ask_now(uow, vp, case, now)
        self.stepped[mediation.id] = now
        return 1

    def _partner_name(self, referral: Referral) -> str:
        partner = self.core.coordinator.current.partner(referral.partner_id)
        return partner.name if partner is not None else referral.partner_id

    async def _parents_answer(self, now: datetime) -> int:
        """The referral flow's effects, as its steps would call them: a check-in that came due
        is shown (never in quiet hours: then in the morning), and answered later, or never."""
        referrals = self.core.reception.referrals
        acted = 0
        async with self.core.database.transaction() as uow:
            acted += await self._checkins_due(uow, now)
            for referral_id, (at, case) in list(self.asking.items()):
                if at <= now:
                    del self.asking[referral_id]
                    await referrals.answered(uow, case.parent_id, referral_id, "asked", now)
                    self._will_answer(referral_id, case, now)
                    acted += 1
            for referral_id, (at, case, answer) in list(self.answering.items()):
                if at <= now:
                    del self.answering[referral_id]
                    await referrals.answered(uow, case.parent_id, referral_id, answer, now)
                    acted += 1
        return acted

    async def _checkins_due(self, uow: UnitOfWork, now: datetime) -> int:
        """The referral check-ins due now, read before the runner takes them (for a parent
        outside Telegram it sends nothing)."""
        quiet = self.core.coordinator.current.quiet_hours
        found = 0
        for vp_id in self.behaviour:
            for case in await uow.cases.of_vp(vp_id):
                if case.status != "referred":
                    continue
                for task in await uow.tasks.pending_for_case(case.id, (FOLLOW_UP,)):
                    payload = json.loads(task.payload)
                    if task.due_at > now or task.id in self.checkins:
                        continue
                    if payload.get("flow") != REFERRAL_FLOW:
                        continue
                    self.checkins.add(task.id)
                    at = quiet.until(now, self.core.settings.timezone) or now
                    self.asking[int(payload["referral"])] = (at, case)
                    found += 1
        return found

    def _will_answer(self, referral_id: int, case: Case, now: datetime) -> None:
        """The parent's next answer, some time after the check-in; none when they are done."""
        referring = self.scenario.referring
        script = self.scripts.get(case.id)
        if referring is None or not script or referral_id in self.answering:
            return
        at = now + _delay(self.rng, referring.answer_after)
        self.answering[referral_id] = (at, case, script.pop(0))

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
        report = Report(
            self.scenario.name, len(cases), sum(c.urgent for c in cases), days=self.scenario.days
        )
        if self.scenario.referring is not None:
            report.referral = await self._referral_figures(cases)
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

    async def _referral_figures(self, cases: list[Case]) -> ReferralFigures:
        async with self.core.database.transaction() as uow:
            rows = [r for case in cases for r in await uow.referrals.of_case(case.id)]
            partners = await uow.referrals.figures()
        timing = self.core.coordinator.current.referrals
        referring = self.scenario.referring
        timings = (
            f"check-in {_span(timing.checkin_after_appointment)} after the appointment day at "
            f"{timing.checkin_at:%H:%M} ({_span(timing.checkin_without_date)} without one), "
            f"again {_span(timing.ask_again_after)} after not yet, closed after "
            f"{_span(timing.no_answer_after)} without an answer"
        )
        if referring is not None and referring.timings:
            timings += " (shortened for this run)"
        return ReferralFigures(
            referrals=len(rows),
            to_partner=[r.reached_at - r.referred_at for r in rows if r.reached_at is not None],
            stalled=sum(r.stalled_at is not None for r in rows),
            no_answer=sum(c.outcome == NO_ANSWER for c in cases),
            still_open=sum(r.ended_at is None for r in rows),
            timings=timings,
            rows=rows,
            partners=partners,
        )


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

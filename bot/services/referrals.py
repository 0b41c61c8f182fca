"""Referral as a stage (#17): a VP refers a case to a partner organisation and it stays open.

The case turns `referred`; the relay stays open both ways. The day after the appointment
(or `referrals.checkin_without_date` after the referral) the parent gets the referral flow:
did they get in touch with the partner? "Not yet" asks again later; a second "not yet" or
"it's stuck" opens a mediation for the VP, who records each step (sealed, like notes) until
the parent says it helps. A check-in nobody answers closes the case as "no answer". Each
step is counted per partner and week, never linked to a person.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import Catalogs, Translator
from bot.services import staff_words as words
from bot.services.cases import NO_ANSWER, CaseDesk
from bot.services.coordinator_settings import CoordinatorSettings, Partner
from bot.services.mail import Mail
from bot.services.privacy import IdentityVault
from bot.services.scheduling import TaskRegistry
from bot.services.staff import staff_translator
from bot.services.task_kinds import FOLLOW_UP, REFERRAL_SILENT
from bot.services.turn import Turn
from flows.limits import MAX_BUTTON_LABEL
from flows.outputs import Choice, Reply
from storage import UnitOfWork
from storage.records import Case, Person, Referral, Task

REFER, WHEN, ASK = "refer:", "when:", "askref:"
# When the appointment is: this week, next week, in two weeks (each read as that week's
# Friday), no date yet, or a date the VP types with /appointment.
THIS_WEEK, NEXT_WEEK, TWO_WEEKS, NO_DATE, TYPED = "w0", "w1", "w2", "none", "typed"
REFERRAL_FLOW = "referral"
MAX_STEP = 200  # characters, as a note
EXAMPLE_ALIAS = "K7F2"
DAY_MONTH = re.compile(r"(\d{1,2})-(\d{1,2})")
FRIDAY = 4
PAST_LIMIT = timedelta(days=31)  # a typed day-month further back than this is next year's


def appointment_day(when: str, today: date) -> date | None:
    """The day a button means: Friday of this week (or today, past Friday), of next week, or
    of the week after; None for no date."""
    weeks = {THIS_WEEK: 0, NEXT_WEEK: 1, TWO_WEEKS: 2}.get(when)
    if weeks is None:
        return None
    friday = today + timedelta(days=FRIDAY - today.weekday(), weeks=weeks)
    return max(friday, today)


def typed_day(text: str, today: date) -> date | None:
    """A typed dd-mm: this year's, or next year's when this year's is long past; None when it
    is no date."""
    match = DAY_MONTH.fullmatch(text.strip())
    if match is None:
        return None
    day, month = int(match.group(1)), int(match.group(2))
    for year in (today.year, today.year + 1):
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if found >= today - PAST_LIMIT:
            return found
    return None


class Referrals:
    def __init__(
        self,
        vault: IdentityVault,
        catalogs: Catalogs,
        cases: CaseDesk,
        settings: Callable[[], CoordinatorSettings],
        zone: ZoneInfo,
    ) -> None:
        self._vault = vault
        self._catalogs = catalogs
        self._cases = cases
        self._mail = Mail(vault)
        self._settings = settings
        self._zone = zone  # TIMEZONE: appointment days and check-in times are local

    # --- the VP refers -------------------------------------------------------------------

    def partner(self, partner_id: str) -> Partner | None:
        return self._settings().partner(partner_id)

    def has_partners(self) -> bool:
        return bool(self._settings().partners)

    def choose_partner(self, t: Translator, case: Case) -> Reply:
        """/refer ALIAS: the partners, those serving in the parent's language first."""
        if case.first_contact_at is None:
            return Reply(self._contact_first(t, case))
        partners = self._settings().partners
        if not partners:
            return Reply(
                t.gettext(
                    "There are no partner organisations yet. A coordinator adds them in the "
                    "console (Partners)."
                )
            )
        ordered = sorted(partners, key=lambda p: case.language not in p.languages)
        rows = tuple(
            (Choice(self._label(t, p, case), f"{REFER}{case.id}:{p.id}"),) for p in ordered
        )
        text = t.gettext(
            "Refer {alias} to which organisation? The question stays open: you can keep "
            "writing, and we ask the parent later whether care has started."
        )
        return Reply(text.format(alias=case.alias), choices=rows)

    @staticmethod
    def _contact_first(t: Translator, case: Case) -> str:
        text = t.gettext(
            "Write to the parent of {alias} first: a question is referred once you are in contact."
        )
        return text.format(alias=case.alias)

    @staticmethod
    def _label(t: Translator, partner: Partner, case: Case) -> str:
        """The partner's name, and the parent's language when they serve in it (Dutch goes
        without saying)."""
        label = partner.name
        if case.language in partner.languages and case.language != "nl":
            label += f" · {words.language(t, case.language)}"
        return label[:MAX_BUTTON_LABEL]

    def choose_when(self, t: Translator, case: Case, partner: Partner) -> Reply:
        """The partner is chosen: when is the appointment?"""
        base = f"{WHEN}{case.id}:{partner.id}:"
        rows = (
            (Choice(t.gettext("This week"), base + THIS_WEEK),),
            (Choice(t.gettext("Next week"), base + NEXT_WEEK),),
            (Choice(t.gettext("In two weeks"), base + TWO_WEEKS),),
            (Choice(t.gettext("I will type the date"), base + TYPED),),
            (Choice(t.gettext("No appointment yet"), base + NO_DATE),),
        )
        text = t.gettext("When is the appointment with {partner}?").format(partner=partner.name)
        return Reply(text, choices=rows)

    async def chosen(
        self, uow: UnitOfWork, vp: Person, case: Case, partner_id: str, when: str, now: datetime
    ) -> list[Reply]:
        """A button of choose_when: refer, with the day it means."""
        t = staff_translator(self._catalogs, vp)
        partner = self._settings().partner(partner_id)
        if partner is None:
            return [Reply(t.gettext("That organisation is no longer on the list."))]
        if case.first_contact_at is None:
            return [Reply(self._contact_first(t, case))]
        if when == TYPED:
            text = t.gettext(
                "Write /appointment {alias} and the date as day-month, for example "
                "/appointment {alias} 14-12."
            )
            await self.refer(uow, vp, case, partner, None, now)
            return [Reply(text.format(alias=case.alias))]
        return await self.refer(
            uow, vp, case, partner, appointment_day(when, self._today(now)), now
        )

    async def refer(
        self,
        uow: UnitOfWork,
        vp: Person,
        case: Case,
        partner: Partner,
        day: date | None,
        now: datetime,
    ) -> list[Reply]:
        """The case is referred: it stays open, and the check-in is scheduled."""
        t = staff_translator(self._catalogs, vp)
        if case.first_contact_at is None:
            return [Reply(self._contact_first(t, case))]
        referral = await uow.referrals.refer(case.id, partner.id, day, now)
        await uow.cases.set_status(case.id, "referred", now)
        await uow.cases.note(case.id, "referred", {"vp": vp.id, "partner": partner.name}, now)
        await uow.cases.accessed(case, vp.id, "referred", now)
        due = await self._schedule_checkin(uow, case, referral, partner, now)
        return [self._referred(t, case, partner, day, due)]

    def _referred(
        self, t: Translator, case: Case, partner: Partner, day: date | None, due: datetime
    ) -> Reply:
        lines = [
            t.gettext("{alias} is referred to {partner}.").format(
                alias=case.alias, partner=partner.name
            )
        ]
        if day is not None:
            lines.append(t.gettext("Appointment: {day}").format(day=words.day(t, day)))
        lines.append(
            t.gettext(
                "The question stays open and you can keep writing. On {time} we ask the "
                "parent whether they got in touch."
            ).format(time=words.time_of_day(t, due, self._zone))
        )
        return Reply("\n".join(lines))

    async def appointment(
        self, uow: UnitOfWork, vp: Person, own: list[Case], argument: str, now: datetime
    ) -> list[Reply]:
        """/appointment ALIAS dd-mm: the appointment day of a referred case, checked."""
        t = staff_translator(self._catalogs, vp)
        alias, _, typed = argument.strip().partition(" ")
        usage = t.gettext(
            "Write /appointment, the question's code and the date as day-month, for example "
            "/appointment {alias} 14-12."
        ).format(alias=EXAMPLE_ALIAS)
        if not alias:
            return [Reply(usage)]
        case = words.named(own, alias)
        if case is None:
            return [Reply(words.not_yours(t, alias))]
        referral = await uow.referrals.current(case.id)
        partner = self._settings().partner(referral.partner_id) if referral else None
        if referral is None or partner is None or case.status != "referred":
            text = t.gettext("{alias} is not referred yet: use /refer {alias} first.")
            return [Reply(text.format(alias=case.alias))]
        day = typed_day(typed, self._today(now))
        if day is None:
            text = t.gettext(
                "“{typed}” is not a date I can read. Write the day and the month with a dash, "
                "for example /appointment {alias} 14-12."
            )
            return [Reply(text.format(typed=typed.strip()[:20], alias=case.alias))]
        await uow.referrals.set_appointment(referral.id, day)
        moved = await uow.referrals.current(case.id)
        assert moved is not None
        due = await self._schedule_checkin(uow, case, moved, partner, now)
        return [self._referred(t, case, partner, day, due)]

    def _today(self, now: datetime) -> date:
        return now.astimezone(self._zone).date()

    def _checkin_due(self, referral: Referral, now: datetime) -> datetime:
        timing = self._settings().referrals
        if referral.appointment_on is None:
            return referral.referred_at + timing.checkin_without_date
        start = datetime.combine(referral.appointment_on, timing.checkin_at, self._zone)
        return max(start.astimezone(now.tzinfo) + timing.checkin_after_appointment, now)

    async def _schedule_checkin(
        self,
        uow: UnitOfWork,
        case: Case,
        referral: Referral,
        partner: Partner,
        now: datetime,
        due: datetime | None = None,
    ) -> datetime:
        """The referral flow for the parent at `due` (by default: after the appointment); a
        check-in already waiting about this referral moves there instead. Any other check-in
        about the case goes: the general one ("has the VP been in touch?"), or one about a
        referral that has ended."""
        due = due or self._checkin_due(referral, now)
        for task in await uow.tasks.pending_for_case(case.id, (FOLLOW_UP,)):
            payload = json.loads(task.payload)
            if payload.get("flow") == REFERRAL_FLOW and payload.get("referral") == referral.id:
                await uow.tasks.move(task.id, due)
                return due
            await uow.tasks.cancel(task.id, now)
        parent = await uow.parents.get(case.parent_id)
        if parent is not None:
            await uow.tasks.schedule(
                FOLLOW_UP,
                due,
                now,
                subject=parent.subject_hash,
                payload={
                    "flow": REFERRAL_FLOW,
                    "case": case.id,
                    "referral": referral.id,
                    "partner": partner.name,
                },
            )
        return due

    async def ask_now(self, uow: UnitOfWork, vp: Person, case: Case, now: datetime) -> list[Reply]:
        """The VP asks the parent now whether care started (after a mediation step)."""
        t = staff_translator(self._catalogs, vp)
        referral = await uow.referrals.current(case.id)
        partner = self._settings().partner(referral.partner_id) if referral else None
        if referral is None or partner is None:
            return [Reply(t.gettext("That button no longer works."))]
        await self._schedule_checkin(uow, case, referral, partner, now, due=now)
        text = t.gettext(
            "We are asking the parent of {alias} now whether it works with {partner} "
            "(not during the night). You will hear their answer here."
        )
        return [Reply(text.format(alias=case.alias, partner=partner.name))]

    # --- the local map, for parents ----------------------------------------------------------

    def local_map(self, language: str, kind: str) -> list[Reply]:
        """The information flow's `partners: KIND`: the local organisations of that kind
        with their public contact details, in the parent's language; none when the map has
        none (the flow's general text stands alone then)."""
        found = [p for p in self._settings().partners if p.kind == kind]
        if not found:
            return []
        t = self._catalogs.translator(language)
        blocks = [t.gettext("Where you can go, near you:")]
        for partner in found:
            lines = [partner.name]
            if language in partner.languages and language != "nl":
                lines.append(t.gettext("They can also help you in your own language."))
            contact = partner.contact
            lines += [value for value in (contact.phone, contact.address) if value]
            lines += [value for value in (contact.website, contact.email) if value]
            blocks.append("\n".join(lines))
        return [Reply("\n\n".join(blocks), rtl=t.rtl)]

    # --- mediation -----------------------------------------------------------------------

    async def step(
        self, uow: UnitOfWork, vp: Person, own: list[Case], argument: str | None, now: datetime
    ) -> list[Reply]:
        """/step ALIAS TEXT: a mediation step and its result, sealed like a note."""
        t = staff_translator(self._catalogs, vp)
        alias, _, text = (argument or "").strip().partition(" ")
        text = text.strip()
        if not text:
            usage = t.ngettext(
                "Write /step, the question's code and what you did and what came of it, in "
                "at most {count} character, for example /step {alias} Called the CJG: "
                "appointment on Monday.",
                "Write /step, the question's code and what you did and what came of it, in "
                "at most {count} characters, for example /step {alias} Called the CJG: "
                "appointment on Monday.",
                MAX_STEP,
            )
            return [Reply(usage.format(count=MAX_STEP, alias=EXAMPLE_ALIAS))]
        case = words.named(own, alias)
        if case is None:
            return [Reply(words.not_yours(t, alias))]
        mediation = await uow.referrals.mediation(case.id)
        referral = await uow.referrals.current(case.id)
        if mediation is None or referral is None:
            reply = t.gettext("{alias} has no mediation open. Keep other notes with /note {alias}.")
            return [Reply(reply.format(alias=case.alias))]
        if len(text) > MAX_STEP:
            too_long = t.ngettext(
                "That is too long: at most {count} character. Nothing was saved.",
                "That is too long: at most {count} characters. Nothing was saved.",
                MAX_STEP,
            )
            return [Reply(too_long.format(count=MAX_STEP))]
        await uow.notes.add(case.id, vp.id, self._vault.seal(text), now, kind="step")
        await uow.referrals.step(mediation, referral.partner_id, now)
        await uow.cases.note(case.id, "mediation_step", {"vp": vp.id}, now)
        await uow.cases.accessed(case, vp.id, "note", now)
        count = mediation.steps + 1
        saved = t.ngettext(
            "Step saved: {count} step so far on {alias}. When you think it works now, ask the "
            "parent.",
            "Step saved: {count} steps so far on {alias}. When you think it works now, ask the "
            "parent.",
            count,
        ).format(count=count, alias=case.alias)
        return [Reply(saved, choices=(self._ask_button(t, case),))]

    @staticmethod
    def _ask_button(t: Translator, case: Case) -> tuple[Choice, ...]:
        return (Choice(t.gettext("Ask the parent now"), f"{ASK}{case.id}"),)

    # --- the parent answers ----------------------------------------------------------------

    async def answered(
        self, uow: UnitOfWork, parent_id: int, referral_id: int, answer: str, now: datetime
    ) -> None:
        """The referral flow: `asked`, or the parent's answer (helps, not_yet, stuck)."""
        referral = await self._current(uow, referral_id)
        case = await uow.cases.lock(referral.case_id) if referral is not None else None
        if referral is None or case is None or case.parent_id != parent_id:
            return
        if case.status != "referred":
            return
        partner = self._settings().partner(referral.partner_id)
        name = partner.name if partner is not None else referral.partner_id
        if answer == "asked":
            await uow.referrals.asked(referral.id, now)
            await uow.tasks.schedule(
                REFERRAL_SILENT,
                now + self._settings().referrals.no_answer_after,
                now,
                payload={"referral": referral.id, "case": case.id, "asked": now.isoformat()},
                idempotency_key=f"{REFERRAL_SILENT}:{referral.id}:{now.isoformat()}",
            )
            return
        not_yet = referral.not_yet + (answer == "not_yet")
        await uow.referrals.answered(referral.id, now, not_yet)
        for waiting in await uow.tasks.pending_for_case(case.id, (REFERRAL_SILENT,)):
            await uow.tasks.cancel(waiting.id, now)  # answered: no "no answer" to come
        await uow.cases.note(case.id, "referral_answer", {"answer": answer}, now)
        vp = await uow.people.get(case.vp_id) if case.vp_id is not None else None
        if answer == "helps":
            await uow.referrals.reached(referral, now)
            mediation = await uow.referrals.mediation(case.id)
            if mediation is not None:
                await uow.referrals.close_mediation(mediation.id, now)
            await self._tell_vp(uow, vp, case, self._helps, name, now)
        elif answer == "stuck" or not_yet >= 2:
            await uow.referrals.open_mediation(referral, answer, now)
            await self._tell_vp(uow, vp, case, self._mediate(answer, partner), name, now)
        elif answer == "not_yet" and partner is not None:
            due = now + self._settings().referrals.ask_again_after
            await self._schedule_checkin(uow, case, referral, partner, now, due=due)
            await self._tell_vp(uow, vp, case, self._not_yet(due), name, now)

    @staticmethod
    async def _current(uow: UnitOfWork, referral_id: int) -> Referral | None:
        """The referral, if it has not ended (closed, or referred elsewhere since)."""
        referral = await uow.referrals.get(referral_id)
        return referral if referral is not None and referral.ended_at is None else None

    @staticmethod
    def _helps(t: Translator, alias: str, partner: str) -> list[Reply]:
        text = t.gettext(
            "The parent of {alias} says contact with {partner} has started and it helps. "
            "Close the question with /close {alias} when your part is done."
        )
        return [Reply(text.format(alias=alias, partner=partner))]

    def _mediate(
        self, answer: str, partner: Partner | None
    ) -> Callable[[Translator, str, str], list[Reply]]:
        def told(t: Translator, alias: str, name: str) -> list[Reply]:
            if answer == "stuck":
                text = t.gettext(
                    "Mediation needed: the parent of {alias} says care with {partner} is stuck."
                )
            else:
                text = t.gettext(
                    "Mediation needed: the parent of {alias} has still not been in touch with "
                    "{partner}."
                )
            lines = [text.format(alias=alias, partner=name)]
            if partner is not None:
                lines += _contact_lines(t, partner)
            lines.append(
                t.gettext(
                    "Please contact them, and record each step and its result with /step "
                    "{alias} TEXT."
                ).format(alias=alias)
            )
            return [Reply("\n".join(lines))]

        return told

    def _not_yet(self, due: datetime) -> Callable[[Translator, str, str], list[Reply]]:
        def told(t: Translator, alias: str, name: str) -> list[Reply]:
            text = t.gettext(
                "The parent of {alias} has not been in touch with {partner} yet. We ask again "
                "on {time}."
            )
            when = words.time_of_day(t, due, self._zone)
            return [Reply(text.format(alias=alias, partner=name, time=when))]

        return told

    async def _tell_vp(
        self,
        uow: UnitOfWork,
        vp: Person | None,
        case: Case,
        compose: Callable[[Translator, str, str], list[Reply]],
        partner: str,
        now: datetime,
    ) -> None:
        if vp is None or not vp.active:
            return
        replies = compose(staff_translator(self._catalogs, vp), case.alias, partner)
        await self._mail.send(uow, vp.subject_hash, vp.sealed_chat, replies, f"case:{case.id}", now)

    async def silent(self, uow: UnitOfWork, referral_id: int, asked: str, now: datetime) -> None:
        """`no_answer_after` since a check-in: unanswered, the case closes as "no answer"
        and the VP is told."""
        referral = await self._current(uow, referral_id)
        then = datetime.fromisoformat(asked)
        if referral is None or referral.asked_at is None:
            return
        if referral.answered_at is not None and referral.answered_at >= then:
            return
        if referral.asked_at > then:
            return  # asked again since: that check-in has its own clock
        case = await uow.cases.lock(referral.case_id)
        if case is None or case.status != "referred" or case.vp_id is None:
            return
        vp = await uow.people.get(case.vp_id)
        if vp is None:
            return
        await self._cases.close(uow, vp, case, NO_ANSWER, now)
        t = staff_translator(self._catalogs, vp)
        text = t.gettext(
            "{alias} is closed as “no answer”: the parent did not answer whether care started "
            "with {partner}."
        )
        partner = self._settings().partner(referral.partner_id)
        name = partner.name if partner is not None else referral.partner_id
        await self._cases.tell(uow, vp, text.format(alias=case.alias, partner=name), case, now)

    # --- the card ----------------------------------------------------------------------------

    async def card_lines(self, uow: UnitOfWork, case: Case, t: Translator) -> list[str]:
        """The case card's partner, appointment and mediation lines."""
        referral = await uow.referrals.current(case.id)
        if referral is None:
            return []
        partner = self._settings().partner(referral.partner_id)
        name = partner.name if partner is not None else referral.partner_id
        lines = [t.gettext("Referred to: {partner}").format(partner=name)]
        if partner is not None:
            lines += _contact_lines(t, partner)
        if referral.appointment_on is not None:
            lines.append(
                t.gettext("Appointment: {day}").format(day=words.day(t, referral.appointment_on))
            )
        mediation = await uow.referrals.mediation(case.id)
        if mediation is not None:
            lines.append(
                t.ngettext(
                    "Mediation open: {count} step so far (/step {alias} TEXT)",
                    "Mediation open: {count} steps so far (/step {alias} TEXT)",
                    mediation.steps,
                ).format(count=mediation.steps, alias=case.alias)
            )
        return lines


def _contact_lines(t: Translator, partner: Partner) -> list[str]:
    """A partner's contact person and public details, one line each."""
    lines = []
    if partner.contact_person:
        lines.append(t.gettext("Contact person: {name}").format(name=partner.contact_person))
    contact = partner.contact
    lines += [value for value in (contact.phone, contact.email, contact.website) if value]
    if contact.address:
        lines.append(contact.address)
    return lines


def register_referral_tasks(registry: TaskRegistry, referrals: Referrals) -> None:
    """The no-answer clock of a check-in."""

    async def silent(turn: Turn, task: Task) -> None:
        payload = json.loads(task.payload)
        await referrals.silent(turn.uow, int(payload["referral"]), str(payload["asked"]), turn.now)

    registry.register(REFERRAL_SILENT, silent)

"""A VP's card of one of their cases (/case ALIAS) and the notes the VPs on a case keep for
each other (/note ALIAS TEXT).

Only a case the VP is on answers; any other alias, taken or not, gets the same reply, so
nobody learns which cases exist. A note's text is sealed at rest like the parent's answers,
shown only to the VPs on the case, and erased with it; coordinators see how many there are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import N_, Catalogs, Translator
from bot.services import staff_words as words
from bot.services.cases import CaseDesk
from bot.services.coordinator_settings import CoordinatorSettings
from bot.services.privacy import IdentityVault
from bot.services.referrals import REFERRAL_FLOW, Referrals
from bot.services.staff import staff_translator
from bot.services.task_kinds import FOLLOW_UP, MEDIATE, REFERRAL_SILENT, VP_REMINDER
from flows.limits import TELEGRAM_TEXT_LIMIT
from flows.outputs import Choice, Reply
from storage import UnitOfWork
from storage.records import Case, Person

MAX_EARLIER = 5  # earlier questions of a family shown on a card
MAX_NOTE = 200  # characters; "/note ALIAS " and the note fit one command's argument
CARD_ACTION = "card:"
EXAMPLE_ALIAS = "K7F2"
# The scheduled steps a card names, in the reader's words; `only_before_contact`: the step
# does nothing once a VP has written to the parent.
STEPS: dict[str, tuple[str, bool]] = {
    FOLLOW_UP: (N_("a check-in with the parent on {time}"), False),
    VP_REMINDER: (N_("a reminder to write to the parent, on {time}"), True),
    MEDIATE: (N_("a coordinator steps in on {time} if there is still no contact"), True),
    REFERRAL_SILENT: (N_("closed as “no answer” on {time} unless the parent answers"), False),
}
REFERRAL_CHECKIN = N_("the parent is asked on {time} whether care with the partner started")


class CaseCard:
    def __init__(
        self,
        vault: IdentityVault,
        catalogs: Catalogs,
        cases: CaseDesk,
        referrals: Referrals,
        settings: Callable[[], CoordinatorSettings],
        zone: ZoneInfo,
    ) -> None:
        self._vault = vault
        self._catalogs = catalogs
        self._cases = cases  # the parent's answers, as the VP received them on Accept
        self._referrals = referrals  # partner, appointment and mediation
        self._settings = settings
        self._zone = zone  # TIMEZONE: times on the card are the VP's clock

    async def show(self, uow: UnitOfWork, person: Person, alias: str, now: datetime) -> list[Reply]:
        """/case ALIAS; without an alias, their only case, or a choice of theirs."""
        t = staff_translator(self._catalogs, person)
        own = await self._own(uow, person)
        alias = (alias.split() or [""])[0]
        if alias:
            case = words.named(own, alias)
            return (
                await self._card(uow, person, case, now, t)
                if case
                else [Reply(words.not_yours(t, alias))]
            )
        if len(own) == 1:
            return await self._card(uow, person, own[0], now, t)
        if not own:
            return [Reply(t.gettext("You have no open questions."))]
        rows = tuple((Choice(words.chooser_label(t, c), f"{CARD_ACTION}{c.id}"),) for c in own)
        return [Reply(t.gettext("Which question?"), choices=rows)]

    async def chosen(
        self, uow: UnitOfWork, person: Person, case_id: int | None, now: datetime
    ) -> list[Reply]:
        """A button of the choice: still one of theirs, or the button no longer works."""
        t = staff_translator(self._catalogs, person)
        case = next((c for c in await self._own(uow, person) if c.id == case_id), None)
        if case is None:
            return [Reply(t.gettext("That button no longer works."))]
        return await self._card(uow, person, case, now, t)

    async def note(
        self, uow: UnitOfWork, person: Person, argument: str | None, now: datetime
    ) -> list[Reply]:
        """/note ALIAS TEXT. An argument too long for a command arrives as None, like none."""
        t = staff_translator(self._catalogs, person)
        alias, _, text = (argument or "").strip().partition(" ")
        text = text.strip()
        if not text:
            usage = t.ngettext(
                "Write /note, the question's code and your note of at most {count} character, "
                "for example /note {alias} Called the school.",
                "Write /note, the question's code and your note of at most {count} "
                "characters, for example /note {alias} Called the school.",
                MAX_NOTE,
            )
            return [Reply(usage.format(count=MAX_NOTE, alias=EXAMPLE_ALIAS))]
        case = words.named(await self._own(uow, person), alias)
        if case is None:
            return [Reply(words.not_yours(t, alias))]
        if len(text) > MAX_NOTE:
            too_long = t.ngettext(
                "That note is too long: a note has at most {count} character. Nothing was saved.",
                "That note is too long: a note has at most {count} characters. Nothing was saved.",
                MAX_NOTE,
            )
            return [Reply(too_long.format(count=MAX_NOTE))]
        await uow.notes.add(case.id, person.id, self._vault.seal(text), now)
        await uow.cases.accessed(case, person.id, "note", now)
        saved = t.gettext(
            "Your note on {alias} is saved. The vertrouwenspersonen on this question see it "
            "with /case {alias}."
        )
        return [Reply(saved.format(alias=case.alias))]

    @staticmethod
    async def _own(uow: UnitOfWork, person: Person) -> list[Case]:
        """The cases the VP is on (their own, or as the second person) while they relay."""
        return [c for c in await uow.cases.of_member(person.id) if c.relaying]

    async def _card(
        self, uow: UnitOfWork, person: Person, case: Case, now: datetime, t: Translator
    ) -> list[Reply]:
        """The head in words, the parent's answers as sent on Accept, then the notes."""
        await uow.cases.accessed(case, person.id, "card", now)
        lines = [
            t.gettext("Question {alias}").format(alias=case.alias),
            t.gettext("Language: {language}").format(language=words.language(t, case.language)),
            t.gettext("Topic: {topic}").format(topic=words.topic(t, case.topic)),
            t.gettext("State: {state}").format(state=words.state(t, case.status)),
            *self._urgency(case, now, t),
            *await self._referrals.card_lines(uow, case, t),
            t.gettext("Next step: {step}").format(step=await self._next_step(uow, case, t)),
            "",
            t.gettext("Their question:"),
        ]
        answers = self._cases.case_for_vp(case, "\n".join(lines), t)
        earlier = await self._earlier(uow, person, case, now, t)
        return [*answers, *await self._notes(uow, case, t), *earlier]

    async def _earlier(
        self, uow: UnitOfWork, person: Person, case: Case, now: datetime, t: Translator
    ) -> list[Reply]:
        """A family that continues: its earlier questions by alias, topic and outcome, with
        their notes; never who the family is."""
        replies: list[Reply] = []
        earlier_id = case.continues_id
        for _ in range(MAX_EARLIER):
            earlier = await uow.cases.get(earlier_id) if earlier_id is not None else None
            if earlier is None:
                break
            head = t.gettext("Earlier question of this family: {alias} – {topic}, {outcome}")
            outcome = words.outcome(t, earlier.outcome or earlier.status)
            replies.append(
                Reply(
                    head.format(
                        alias=earlier.alias, topic=words.topic(t, earlier.topic), outcome=outcome
                    )
                )
            )
            replies += [r for r in await self._notes(uow, earlier, t) if r.protect]
            await uow.cases.accessed(earlier, person.id, "card", now)
            earlier_id = earlier.continues_id
        return replies

    def _urgency(self, case: Case, now: datetime, t: Translator) -> list[str]:
        """While nobody has been in contact, an urgent case's 48-hour deadline."""
        limit = self._settings().urgent.breach_after
        if not case.urgent or case.first_contact_at is not None:
            return [t.gettext("Urgency: {urgency}").format(urgency=words.urgency(t, case.urgent))]
        deadline = words.time_of_day(t, case.created_at + limit, self._zone)
        return [
            t.gettext("Urgency: {urgency}").format(urgency=words.urgency_left(t, case, limit, now)),
            t.gettext("Deadline: {time}").format(time=deadline),
        ]

    async def _next_step(self, uow: UnitOfWork, case: Case, t: Translator) -> str:
        for task in await uow.tasks.pending_for_case(case.id, tuple(STEPS)):
            text, only_before_contact = STEPS[task.kind]
            if json.loads(task.payload).get("flow") == REFERRAL_FLOW:
                text = REFERRAL_CHECKIN
            if not only_before_contact or case.status == "accepted":
                return t.gettext(text).format(time=words.time_of_day(t, task.due_at, self._zone))
        return t.gettext("nothing scheduled")

    async def _notes(self, uow: UnitOfWork, case: Case, t: Translator) -> list[Reply]:
        """Each note with who wrote it and when, in as few messages as Telegram allows;
        protected, like the parent's words."""
        notes = await uow.notes.of_case(case.id)
        if not notes:
            text = t.gettext("No notes yet. Add one with /note {alias} and your text.")
            return [Reply(text.format(alias=case.alias))]
        people = {n.person_id: await uow.people.get(n.person_id) for n in notes}
        replies, lines = [], [t.gettext("Notes:")]
        for note in notes:
            when = words.time_of_day(t, note.written_at, self._zone)
            who = words.vp(people[note.person_id], note.person_id)
            if note.kind == "step":
                who += " – " + t.gettext("mediation step")
            line = f"{when} – {who}: {self._vault.open(note.sealed_text)}"
            if len("\n".join([*lines, line])) > TELEGRAM_TEXT_LIMIT:
                replies.append(Reply("\n".join(lines), protect=True))
                lines = []
            lines.append(line)
        return [*replies, Reply("\n".join(lines), protect=True)]

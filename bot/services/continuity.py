"""Continuity (#17): families come back, VPs hand over and go away.

- A parent whose question was closed and who writes again is offered "continue with NAME"
  (when that VP is still active) or someone new; continuing opens a new case linked to the
  earlier one, offered first to that VP, whose card then shows the family's earlier
  questions and their notes (CaseCard), never who they are.
- A VP hands a case to a named colleague with a note (/handover ALIAS NOTE); the colleague
  accepts or declines; on yes they get the question and the conversation so far
  (bot.services.case_digest) before anything new.
- /away takes an optional return date (/away DD-MM) and asks what becomes of the open
  questions: kept, handed over, or back to the coordinators. On the return date the VP is
  available again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Catalogs, Translator
from bot.services import staff_words as words
from bot.services.cases import CaseDesk
from bot.services.coordinator_settings import CoordinatorSettings
from bot.services.mail import Mail
from bot.services.privacy import IdentityVault
from bot.services.referrals import typed_day
from bot.services.scheduling import TaskRegistry
from bot.services.staff import staff_translator
from bot.services.task_kinds import AWAY_END
from bot.services.turn import Turn
from flows.inputs import number
from flows.limits import fit_label
from flows.outputs import Choice, Reply
from storage import Parent, UnitOfWork
from storage.records import Case, Person, Task

AGAIN = "again:"  # the parent's choice: again:<held>:<earlier case> (0: someone new)
HAND, HANDED = "hand:", "handans:"  # hand:<handover>:<colleague>, handans:<handover>:yes|no
AWAY = "away:"  # away:keep|hand|back
MAX_HANDOVER_NOTE = 500
EXAMPLE_ALIAS = "K7F2"
CLOSED = ("closed",)  # a withdrawn question ended at the parent's wish: not offered again


class Continuity:
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
        self._settings = settings
        self._zone = zone
        self._mail = Mail(vault)

    # --- a family comes back -------------------------------------------------------------

    async def welcome_back(
        self, uow: UnitOfWork, parent: Parent, value: Any, t: Translator, now: datetime
    ) -> list[Reply] | None:
        """A parent with no open question writes: when their last question was closed by a VP
        who is still active, continue with them or someone new; None otherwise."""
        earlier = await self._last_closed(uow, parent)
        vp = await uow.people.get(earlier.vp_id) if earlier and earlier.vp_id else None
        if earlier is None or vp is None or not vp.active or vp.role != "vp":
            return None
        held = await uow.relays.hold(
            parent.subject_hash, None, self._vault.seal(json.dumps({"question": value})), now
        )
        text = t.vpgettext(
            vp.gender,
            "Welcome back. Would you like to continue with {name}, who helped you before, or "
            "talk with someone new?",
        ).format(name=vp.display_name)
        rows = (
            (
                Choice(
                    fit_label(t.gettext("Continue with {name}").format(name=vp.display_name)),
                    f"{AGAIN}{held}:{earlier.id}",
                ),
            ),
            (Choice(fit_label(t.gettext("Someone new")), f"{AGAIN}{held}:0"),),
        )
        return [Reply(text, choices=rows, rtl=t.rtl)]

    async def again(
        self, uow: UnitOfWork, parent: Parent, action: str, t: Translator, now: datetime
    ) -> tuple[Any, list[Reply]] | None:
        """The parent's choice. Continuing opens the linked case; someone new returns the
        kept question for the menu, `(question, [])`. None: the button no longer works."""
        held_id, _, earlier_id = (number(x) for x in action.removeprefix(AGAIN).partition(":"))
        held = await uow.relays.held(held_id) if held_id is not None else None
        if held is None or held.owner != parent.subject_hash or held.case_id is not None:
            return None
        if not await uow.relays.release(held.id):
            return None
        question = json.loads(self._vault.open(held.sealed_payload)).get("question")
        earlier = await uow.cases.get(earlier_id) if earlier_id else None
        vp = await uow.people.get(earlier.vp_id) if earlier and earlier.vp_id else None
        if earlier is None or earlier.parent_id != parent.id or vp is None or not vp.active:
            return question, []  # someone new, or that VP is no longer there
        answers = {"question": question} if question else {}
        case = await self._cases.continue_with(
            uow, parent.id, parent.language or "nl", answers, earlier, vp, now
        )
        if case is None:
            text = t.gettext(
                "You already have questions with us that are still open, so I did not start "
                "a new one. Write here and your vertrouwenspersoon will read it."
            )
            return question, [Reply(text, rtl=t.rtl)]
        text = t.vpgettext(vp.gender, "We have asked {name}. They will write to you here.").format(
            name=vp.display_name
        )
        return question, [Reply(text, rtl=t.rtl)]

    @staticmethod
    async def _last_closed(uow: UnitOfWork, parent: Parent) -> Case | None:
        closed = [c for c in await uow.cases.of_parent(parent.id) if c.status in CLOSED]
        return max(closed, key=lambda c: (c.closed_at or c.created_at, c.id), default=None)

    # --- a VP hands a case over ------------------------------------------------------------

    async def handover(
        self, uow: UnitOfWork, vp: Person, own: list[Case], argument: str | None, now: datetime
    ) -> list[Reply]:
        """/handover ALIAS NOTE: the note is kept, then the colleague is chosen."""
        t = staff_translator(self._catalogs, vp)
        alias, _, note = (argument or "").strip().partition(" ")
        note = note.strip()
        if not note:
            usage = t.gettext(
                "Write /handover, the question's code and a note for your colleague, for "
                "example /handover {alias} Mother prefers mornings; the school is involved."
            )
            return [Reply(usage.format(alias=EXAMPLE_ALIAS))]
        case = words.named(own, alias)
        if case is None:
            return [Reply(words.not_yours(t, alias))]
        if len(note) > MAX_HANDOVER_NOTE:
            too_long = t.ngettext(
                "That is too long: at most {count} character. Nothing was saved.",
                "That is too long: at most {count} characters. Nothing was saved.",
                MAX_HANDOVER_NOTE,
            )
            return [Reply(too_long.format(count=MAX_HANDOVER_NOTE))]
        handover = await uow.handovers.draft(case.id, vp.id, self._vault.seal(note), now)
        return [await self._colleagues(uow, vp, case, handover, t)]

    async def _colleagues(
        self, uow: UnitOfWork, vp: Person, case: Case, handover: int, t: Translator
    ) -> Reply:
        """Active colleagues, those who speak the parent's language first."""
        colleagues = [p for p in await uow.people.vps() if p.active and p.id != vp.id]
        colleagues.sort(key=lambda p: (case.language not in p.languages, not p.available, p.id))
        if not colleagues:
            return Reply(t.gettext("There is nobody else registered to hand it to."))
        rows = tuple(
            (Choice(fit_label(self._colleague_label(t, p, case)), f"{HAND}{handover}:{p.id}"),)
            for p in colleagues
        )
        text = t.gettext("Hand {alias} to whom? They are asked first; until then it stays yours.")
        return Reply(text.format(alias=case.alias), choices=rows)

    @staticmethod
    def _colleague_label(t: Translator, person: Person, case: Case) -> str:
        label = person.name
        if case.language in person.languages:
            label += f" · {words.language(t, case.language)}"
        if not person.available:
            label += " · " + t.gettext("away")
        return label

    async def ask_colleague(
        self,
        uow: UnitOfWork,
        vp: Person,
        own: list[Case],
        handover_id: int | None,
        colleague_id: int | None,
        now: datetime,
    ) -> list[Reply]:
        t = staff_translator(self._catalogs, vp)
        handover = await uow.handovers.get(handover_id) if handover_id is not None else None
        case = next((c for c in own if handover and c.id == handover.case_id), None)
        colleague = await uow.people.get(colleague_id) if colleague_id is not None else None
        if (
            handover is None
            or case is None
            or handover.from_id != vp.id
            or colleague is None
            or colleague.role != "vp"
            or not colleague.active
            or colleague.id == vp.id
            or not await uow.handovers.ask(handover.id, colleague.id)
        ):
            return [Reply(t.gettext("That button no longer works."))]
        ct = staff_translator(self._catalogs, colleague)
        offer = "\n".join(
            (
                ct.gettext("{name} would like to hand {alias} over to you.").format(
                    name=vp.name, alias=case.alias
                ),
                words.facts(ct, case, self._settings().urgent.breach_after, now),
                "",
                ct.gettext("Their note: {note}").format(
                    note=self._vault.open(handover.sealed_note)
                ),
            )
        )
        rows = (
            (
                Choice(ct.gettext("Accept"), f"{HANDED}{handover.id}:yes"),
                Choice(ct.gettext("Decline"), f"{HANDED}{handover.id}:no"),
            ),
        )
        await self._mail.send(
            uow,
            colleague.subject_hash,
            colleague.sealed_chat,
            [Reply(offer, choices=rows, protect=True)],
            f"case:{case.id}",
            now,
        )
        text = t.gettext("We asked {name}. {alias} stays yours until they accept.")
        return [Reply(text.format(name=colleague.name, alias=case.alias))]

    async def colleague_answers(
        self,
        uow: UnitOfWork,
        colleague: Person,
        handover_id: int | None,
        answer: str,
        now: datetime,
    ) -> list[Reply]:
        """The colleague accepts (the case is theirs, with the conversation so far) or
        declines (it stays with the VP, who hears)."""
        t = staff_translator(self._catalogs, colleague)
        gone = [Reply(t.gettext("This question has already been taken or withdrawn."))]
        handover = await uow.handovers.get(handover_id) if handover_id is not None else None
        if handover is None or handover.to_id != colleague.id or handover.status != "asked":
            return gone
        case = await uow.cases.lock(handover.case_id)
        vp = await uow.people.get(handover.from_id)
        if case is None or vp is None or case.vp_id != vp.id or not case.relaying:
            await uow.handovers.answer(handover.id, "withdrawn", now)
            return gone
        vt = staff_translator(self._catalogs, vp)
        if answer != "yes":
            await uow.handovers.answer(handover.id, "declined", now)
            text = vt.gettext("{name} declined {alias}. It stays yours.")
            await self._cases.tell(
                uow, vp, text.format(name=colleague.name, alias=case.alias), case, now
            )
            return [Reply(t.gettext("You declined {alias}.").format(alias=case.alias))]
        await uow.handovers.answer(handover.id, "accepted", now)
        await uow.notes.add(case.id, vp.id, handover.sealed_note, now)  # on the card from now on
        await self._cases.hand_over(uow, vp, colleague, case, now)
        text = vt.gettext("{name} accepted {alias}: it is theirs now. Thank you.")
        await self._cases.tell(
            uow, vp, text.format(name=colleague.name, alias=case.alias), case, now
        )
        return []

    # --- a VP goes away ----------------------------------------------------------------------

    async def away(
        self, uow: UnitOfWork, vp: Person, own: list[Case], argument: str, now: datetime
    ) -> list[Reply]:
        """/away [DD-MM]: no new questions, until the return date if one is given; then what
        becomes of the open ones."""
        t = staff_translator(self._catalogs, vp)
        until: datetime | None = None
        if argument.strip():
            day = typed_day(argument, now.astimezone(self._zone).date())
            if day is None or day <= now.astimezone(self._zone).date():
                text = t.gettext(
                    "“{typed}” is not a date ahead that I can read. Write the day and the "
                    "month with a dash, for example /away 14-12, or just /away."
                )
                return [Reply(text.format(typed=argument.strip()[:20]))]
            morning = self._settings().quiet_hours.end  # the parents' morning: theirs too
            until = datetime.combine(day, morning, self._zone).astimezone(now.tzinfo)
            await uow.tasks.schedule(
                AWAY_END,
                until,
                now,
                payload={"person": vp.id, "until": until.isoformat()},
                idempotency_key=f"{AWAY_END}:{vp.id}:{until.isoformat()}",
            )
        await uow.people.update(vp.id, available=False, away_until=until)
        if until is None:
            text = t.gettext(
                "You are away: no new questions are offered to you. Send /available when you "
                "are back."
            )
        else:
            text = t.gettext(
                "You are away until {day}: no new questions are offered to you until then."
            ).format(day=words.day(t, until.astimezone(self._zone).date()))
        replies = [Reply(text)]
        if own:
            question = t.ngettext(
                "What should happen with your {count} open question meanwhile?",
                "What should happen with your {count} open questions meanwhile?",
                len(own),
            ).format(count=len(own))
            rows = (
                (Choice(fit_label(t.gettext("I keep them")), f"{AWAY}keep"),),
                (Choice(fit_label(t.gettext("Hand them to a colleague")), f"{AWAY}hand"),),
                (Choice(fit_label(t.gettext("Back to the coordinators")), f"{AWAY}back"),),
            )
            replies.append(Reply(question, choices=rows))
        return replies

    async def away_choice(
        self, uow: UnitOfWork, vp: Person, own: list[Case], choice: str, now: datetime
    ) -> list[Reply]:
        t = staff_translator(self._catalogs, vp)
        if vp.available or not own:
            return [Reply(t.gettext("That button no longer works."))]
        if choice == "keep":
            return [Reply(t.gettext("Your open questions stay with you."))]
        back = vp.away_until.astimezone(self._zone).date() if vp.away_until else None
        if choice == "hand":
            note = (
                t.gettext("{name} is away until {day}.").format(
                    name=vp.display_name, day=words.day(t, back)
                )
                if back
                else t.gettext("{name} is away.").format(name=vp.display_name)
            )
            replies = []
            for case in own:
                handover = await uow.handovers.draft(case.id, vp.id, self._vault.seal(note), now)
                replies.append(await self._colleagues(uow, vp, case, handover, t))
            return replies
        if choice == "back":
            for case in own:
                await self._cases.give_back(uow, vp, case, "away", now)
            return [
                Reply(
                    t.ngettext(
                        "{count} question went back: it is offered to others, and the "
                        "coordinators can see it.",
                        "{count} questions went back: they are offered to others, and the "
                        "coordinators can see them.",
                        len(own),
                    ).format(count=len(own))
                )
            ]
        return [Reply(t.gettext("That button no longer works."))]

    async def back(self, uow: UnitOfWork, person_id: int, until: str, now: datetime) -> None:
        """The return date came: available again, unless they came back or moved it."""
        vp = await uow.people.get(person_id)
        if vp is None or not vp.active or vp.available or vp.away_until is None:
            return
        if vp.away_until.isoformat() != datetime.fromisoformat(until).isoformat():
            return
        await uow.people.update(vp.id, available=True, away_until=None)
        t = staff_translator(self._catalogs, vp)
        text = t.gettext("Welcome back: new questions are offered to you again.")
        await self._mail.send(uow, vp.subject_hash, vp.sealed_chat, [Reply(text)], "away", now)
        await self._cases.offer_waiting(uow, now)


def register_continuity_tasks(registry: TaskRegistry, continuity: Continuity) -> None:
    async def away_end(turn: Turn, task: Task) -> None:
        payload = json.loads(task.payload)
        await continuity.back(turn.uow, int(payload["person"]), str(payload["until"]), turn.now)

    registry.register(AWAY_END, away_end)

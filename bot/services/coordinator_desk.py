"""What a coordinator can do in their chat with the bot: see the VPs, deactivate one (their
open cases are routed again), give a case to a VP by hand, read a case's history, and record
voice prompts. Every look at a case is in the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.i18n import Catalogs, Translator
from bot.services import case_history as history
from bot.services import staff_words as words
from bot.services.cases import CONFIRMED, CaseDesk
from bot.services.console_access import ConsoleAccess
from bot.services.prompt_recording import RECORD_ACTION, PromptRecording
from bot.services.staff import LANGUAGE_ACTION, StaffLanguages, staff_translator
from bot.services.urgent import ASSIGN, UrgentLadder
from flows.inputs import Command, Input, Media, Pick, Text, number
from flows.outputs import Reply
from storage import UnitOfWork
from storage.cases import OPEN_STATUSES
from storage.records import Case, Person


class CoordinatorDesk:
    def __init__(
        self,
        catalogs: Catalogs,
        cases: CaseDesk,
        ladder: UrgentLadder,
        languages: StaffLanguages,
        recording: PromptRecording,
        console: ConsoleAccess,
    ) -> None:
        self._catalogs = catalogs
        self._cases = cases
        self._ladder = ladder
        self._languages = languages
        self._recording = recording
        self._console = console

    async def handle(
        self, uow: UnitOfWork, coordinator: Person, incoming: Input, now: datetime
    ) -> list[Reply]:
        t = staff_translator(self._catalogs, coordinator)
        if isinstance(incoming, Pick) and incoming.action.startswith(LANGUAGE_ACTION):
            return await self._languages.choose(uow, coordinator, incoming.action, now)
        if isinstance(incoming, Pick) and incoming.action.startswith(RECORD_ACTION):
            return await self._recording.pick(uow, coordinator, incoming.action, now)
        if isinstance(incoming, Pick):  # else only the urgent ladder's buttons
            return await self._assign(uow, coordinator, incoming.action, now, t)
        if isinstance(incoming, Media):  # a voice message for /record, perhaps
            recorded = await self._recording.media(uow, coordinator, incoming, now)
            return recorded if recorded is not None else [self._help(t)]
        if isinstance(incoming, Text) and self._recording.pending(coordinator, now):
            return await self._recording.cancel(uow, coordinator)
        if not isinstance(incoming, Command):
            return [self._help(t)]
        words = (incoming.argument or "").split()
        match incoming.name, words:
            case "", _:  # a slash without a command word after it
                return [
                    Reply(
                        t.gettext(
                            "Write a command straight after the slash, in Latin letters, "
                            "for example /help."
                        )
                    )
                ]
            case "language", _:
                return [self._languages.picker(coordinator)]
            case "record", _:
                return await self._recording.start(uow, coordinator)
            case "console", _:
                return [await self._console.answer(uow, coordinator, now, t)]
            case "vps", []:
                return [await self._vps(uow, t)]
            case "urgent", []:
                urgent = await uow.cases.urgent_since(now - timedelta(days=30))
                for one in urgent:
                    if one.status in OPEN_STATUSES:
                        await uow.cases.accessed(one, coordinator.id, "urgent view", now)
                return [Reply(self._ladder.view(t, urgent, now))]
            case "deactivate", [word] if (vp_number := number(word)) is not None:
                return await self._deactivate(uow, vp_number, now, t)
            case "activate", [word] if (vp_number := number(word)) is not None:
                vp = await self._vp(uow, vp_number)
                if vp is None:
                    return [self._no_such_vp(t, word)]
                await uow.people.update(vp.id, active=True)
                await self._cases.offer_waiting(uow, now)
                return [Reply(t.gettext("{name} is active again.").format(name=vp.name))]
            case "reassign", [alias, word] if (vp_number := number(word)) is not None:
                case = await uow.cases.by_alias(alias)
                vp = await self._vp(uow, vp_number)
                if case is None or case.status not in OPEN_STATUSES:
                    return [
                        Reply(
                            t.gettext("There is no open case {alias}.").format(
                                alias=alias.upper()[:8]
                            )
                        )
                    ]
                if vp is None or not vp.active:
                    return [self._no_such_vp(t, word)]
                return await self._cases.assign_by_hand(uow, coordinator, case, vp, now)
            case ("deactivate" | "activate", [_]) | ("reassign", [_, _]):
                return [self._vp_number(t)]  # not digits, or too many for any VP's number
            case "case", [alias]:
                case = await uow.cases.by_alias(alias)
                if case is None:
                    return [
                        Reply(
                            t.gettext("There is no case {alias}.").format(alias=alias.upper()[:8])
                        )
                    ]
                await uow.cases.accessed(case, coordinator.id, "history", now)
                return [await self._history(uow, case, t)]
        return [self._help(t)]

    async def _assign(
        self, uow: UnitOfWork, coordinator: Person, action: str, now: datetime, t: Translator
    ) -> list[Reply]:
        """A button of the urgent ladder: this VP takes the case, whatever the filters say."""
        if not action.startswith(ASSIGN):
            return [Reply(t.gettext("That button no longer works."))]
        case_id, _, rest = action.removeprefix(ASSIGN).partition(":")
        person_id, _, confirmed = rest.partition(":")  # "sure": across languages, confirmed
        case_number, vp_number = number(case_id), number(person_id)
        case = await uow.cases.get(case_number) if case_number is not None else None
        vp = await self._vp(uow, vp_number) if vp_number is not None else None
        if case is None or case.status not in OPEN_STATUSES or vp is None or not vp.active:
            return [Reply(t.gettext("That button no longer works."))]
        sure = confirmed.startswith(CONFIRMED)
        # A confirmation may reassign, but only from the VP the case had when it was asked.
        had = number(confirmed.removeprefix(CONFIRMED)) if sure else 0
        if (case.vp_id is not None and not sure) or (sure and (case.vp_id or 0) != had):
            text = t.gettext("{alias} has been taken by a colleague. Thank you.")
            return [Reply(text.format(alias=case.alias))]
        return await self._cases.assign_by_hand(uow, coordinator, case, vp, now, confirmed=sure)

    @staticmethod
    async def _history(uow: UnitOfWork, case: Case, t: Translator) -> Reply:
        """/case: the head line and every event in words; VPs by number and display name;
        how many notes the VPs keep, never what they say."""
        events = await uow.cases.events(case.id)
        people = {i: await uow.people.get(i) for i in history.people_in(e.detail for e in events)}

        def who(person_id: Any) -> str:
            if not isinstance(person_id, int):
                return "-"
            return words.staff_member(t, people.get(person_id), person_id)

        head = f"{words.case_line(t, case)}, {words.urgency(t, case.urgent)}"
        lines = [history.sentence(t, e.kind, e.detail, who) for e in events]
        if notes := await uow.notes.count(case.id):  # that they exist; never their text
            lines.append(
                t.ngettext(
                    "{count} note by the vertrouwenspersonen; only they read it.",
                    "{count} notes by the vertrouwenspersonen; only they read them.",
                    notes,
                ).format(count=notes)
            )
        return Reply("\n".join([head, *lines]))

    async def _vps(self, uow: UnitOfWork, t: Translator) -> Reply:
        load = await uow.cases.load_per_vp()
        vps = await uow.people.vps()
        if not vps:
            return Reply(t.gettext("No vertrouwenspersonen are registered yet."))
        lines = []
        for vp in sorted(vps, key=lambda p: p.id):
            state = (
                t.gettext("inactive")
                if not vp.active
                else t.gettext("away")
                if not vp.available
                else t.gettext("available")
            )
            open_cases = t.ngettext(
                "{open} of {capacity} question", "{open} of {capacity} questions", vp.capacity
            ).format(open=load.get(vp.id, 0), capacity=vp.capacity)
            lines.append(
                f"{vp.id}. {vp.name} ({vp.display_name}) – {words.languages(t, vp.languages)}, "
                f"{words.gender(t, vp.gender)} – {open_cases} – {state}"
            )
        return Reply(t.gettext("Vertrouwenspersonen:") + "\n" + "\n".join(lines))

    async def _deactivate(
        self, uow: UnitOfWork, vp_number: int, now: datetime, t: Translator
    ) -> list[Reply]:
        vp = await self._vp(uow, vp_number)
        if vp is None:
            return [self._no_such_vp(t, str(vp_number))]
        await uow.people.update(vp.id, active=False)
        await self._cases.release_vp(uow, vp, "deactivated", now)
        text = t.gettext("{name} is deactivated; their open cases are being offered again.")
        return [Reply(text.format(name=vp.name))]

    @staticmethod
    async def _vp(uow: UnitOfWork, vp_number: int) -> Person | None:
        person = await uow.people.get(vp_number)
        return person if person is not None and person.role == "vp" else None

    @staticmethod
    def _no_such_vp(t: Translator, number: str) -> Reply:
        return Reply(
            t.gettext("There is no vertrouwenspersoon number {number}; see /vps.").format(
                number=number[:6]
            )
        )

    @staticmethod
    def _vp_number(t: Translator) -> Reply:
        return Reply(
            t.gettext(
                "Write the number of a vertrouwenspersoon as /vps shows it, "
                "for example /deactivate 3."
            )
        )

    @staticmethod
    def _help(t: Translator) -> Reply:
        return Reply(
            t.gettext("You are registered as a coordinator of Tussen In.")
            + "\n\n"
            + t.gettext(
                "/vps – the vertrouwenspersonen, their load and state\n"
                "/deactivate N and /activate N – take a VP off or back on\n"
                "/reassign ALIAS N – give a case to VP number N\n"
                "/case ALIAS – a case's history\n"
                "/urgent – open urgent questions and the last 30 days' figures"
            )
            + "\n"
            + t.gettext("/record – record a message's voice prompt for parents who listen")
            + "\n"
            + t.gettext("/console – a link to the console, the web workplace")
            + "\n"
            + t.gettext("/language – the language you work in here")
        )

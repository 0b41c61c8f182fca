"""What a vertrouwenspersoon (or coordinator) can do in their own chat with the bot."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import Catalogs, Translator
from bot.services.cases import STAFF_LANGUAGE, CaseDesk
from flows.inputs import Command, Input, Pick
from flows.outputs import Reply
from storage import UnitOfWork
from storage.records import Case, Person

MAX_DISPLAY_NAME = 40
MAX_CAPACITY = 20


class VpDesk:
    def __init__(self, catalogs: Catalogs, cases: CaseDesk) -> None:
        self._catalogs = catalogs
        self._cases = cases

    async def handle(
        self, uow: UnitOfWork, person: Person, incoming: Input, now: datetime
    ) -> list[Reply]:
        t = self._catalogs.translator(STAFF_LANGUAGE)
        if isinstance(incoming, Pick) and incoming.action.startswith("offer:"):
            _, offer_id, answer = [*incoming.action.split(":"), "", ""][:3]
            if offer_id.isdigit():
                return await self._cases.answer(uow, person, int(offer_id), answer, now)
        if not isinstance(incoming, Command):
            return [self._help(t)]
        argument = (incoming.argument or "").strip()
        match incoming.name:
            case "name" if 0 < len(argument) <= MAX_DISPLAY_NAME:
                await uow.people.update(person.id, display_name=argument)
                return [Reply(t.gettext("Parents now see you as {name}.").format(name=argument))]
            case "away":
                await uow.people.update(person.id, available=False)
                return [
                    Reply(
                        t.gettext(
                            "You are away: no new questions are offered to you. "
                            "Send /available when you are back."
                        )
                    )
                ]
            case "available":
                await uow.people.update(person.id, available=True)
                return [Reply(t.gettext("You are available again for new questions."))]
            case "capacity" if argument.isdigit() and 1 <= int(argument) <= MAX_CAPACITY:
                await uow.people.update(person.id, capacity=int(argument))
                return [
                    Reply(
                        t.gettext("You take at most {count} open questions at a time.").format(
                            count=argument
                        )
                    )
                ]
            case "capacity":
                return [Reply(t.gettext("Write a number from 1 to 20, for example /capacity 3."))]
            case "cases":
                return [self._cases_of(await uow.cases.of_vp(person.id), t)]
        return [self._help(t)]

    @staticmethod
    def _cases_of(cases: list[Case], t: Translator) -> Reply:
        if not cases:
            return Reply(t.gettext("You have no open questions."))
        lines = [f"{c.alias} – {c.language}, {c.topic or '-'}, {c.status}" for c in cases]
        return Reply(t.gettext("Your open questions:") + "\n" + "\n".join(lines))

    @staticmethod
    def _help(t: Translator) -> Reply:
        return Reply(
            t.gettext(
                "You are registered with Tussen In. New questions arrive here; "
                "you choose Accept or Decline."
            )
            + "\n\n"
            + t.gettext(
                "/cases – your open questions\n"
                "/name NAME – the name parents see\n"
                "/away and /available – pause new questions, or take them again\n"
                "/capacity N – how many open questions at a time"
            )
        )

"""Duo with a professional (#17): a VP brings a professional of a partner organisation into
one case, only with the parent's yes.

The parent is asked in their language, with the organisation named and what the professional
will see: what is written from then on, and a summary the VP writes for them. On yes the
professional joins the case's relay and writes as "Name (organisation)"; they have no
commands, see no other case, never the parent's identity (no name or number the parent
shared, no question from before). The duo ends when the case closes, when the VP ends it, or
when the parent says so: a button under their yes, or a plain word. That a professional wrote,
and when, is in the audit log (case_access "wrote"); the text never is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import Catalogs, Translator
from bot.services import staff_words as words
from bot.services.case_digest import conversation_so_far
from bot.services.cases import CaseDesk
from bot.services.coordinator_settings import CoordinatorSettings
from bot.services.mail import Mail
from bot.services.privacy import IdentityVault
from bot.services.relay import Said
from bot.services.staff import staff_translator
from flows.inputs import Command, Input, Pick, number
from flows.limits import fit_label
from flows.outputs import Choice, Reply
from flows.texts import NP_
from storage import Parent, UnitOfWork
from storage.records import Case, CaseProfessional, Person

PRO_ACTION = "pro:"  # the parent's answer: pro:<duo>:yes|no|end
END_ACTION = "proend:"  # the VP ends it: proend:<duo>
# The plain word a parent writes to end the duo; translators give each language's words.
ALONE = NP_("control words", "alone")
MAX_SUMMARY = 1000  # characters


class Professionals:
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
        self._zone = zone  # TIMEZONE: times in the conversation so far
        self._mail = Mail(vault)

    def organisation(self, person: Person) -> str:
        partner = self._settings().partner(person.partner_id)
        return partner.name if partner is not None else person.partner_id

    def signature(self, person: Person) -> str:
        """How parents and VPs see a professional: "Jan (CJG Zuidoost)"."""
        return f"{person.name.split()[0]} ({self.organisation(person)})"[:40]

    async def registered(self, uow: UnitOfWork, person: Person) -> str:
        """A professional opened their invitation: they sign as Name (organisation)."""
        await uow.people.update(person.id, display_name=self.signature(person))
        t = staff_translator(self._catalogs, person)
        return t.gettext(
            "Welcome, {name}. You are registered as a professional of {organisation}. A "
            "vertrouwenspersoon can bring you into a conversation with a family, only when the "
            "parent agrees. You will get a message here then."
        ).format(name=person.name, organisation=self.organisation(person))

    # --- the VP proposes -----------------------------------------------------------------

    async def available(self, uow: UnitOfWork, case: Case) -> list[Person]:
        """Professionals who could be brought into the case (active, not on it already)."""
        taken = {d.person_id for d in await uow.professionals.of_case(case.id)}
        return [p for p in await uow.people.professionals() if p.active and p.id not in taken]

    async def ask_consent(
        self, uow: UnitOfWork, vp: Person, case: Case, professional: Person, now: datetime
    ) -> list[Reply]:
        """The parent is asked, naming the organisation and what the professional sees."""
        duo = await uow.professionals.propose(case.id, professional.id, vp.id, now)
        t = self._catalogs.translator(case.language)
        organisation = self.organisation(professional)
        asks = t.vpgettext(
            vp.gender,
            "{name} would like to bring in {professional} of {organisation} to help with your "
            "question.",
        ).format(
            name=vp.display_name,
            professional=professional.name.split()[0],
            organisation=organisation,
        )
        sees = t.gettext(
            "They would read and write in this conversation from now on, and read a short "
            "summary that {name} writes for them. They never see your name or number. You "
            "choose whether they may also read what was written here before."
        ).format(name=vp.display_name)
        action = f"{PRO_ACTION}{duo.id}"
        question = Reply(
            f"{asks} {sees}",
            choices=(
                (Choice(fit_label(t.gettext("Yes, from now on")), action + ":yes"),),
                (Choice(fit_label(t.gettext("Yes, also what came before")), action + ":all"),),
                (Choice(fit_label(t.gettext("No, rather not")), action + ":no"),),
            ),
            rtl=t.rtl,
        )
        await self._cases.to_parent(uow, case, [question], now)
        await uow.cases.note(case.id, "duo_asked", {"vp": vp.id, "second": professional.id}, now)
        st = staff_translator(self._catalogs, vp)
        return [Reply(st.gettext("We asked the parent. You will hear their answer here."))]

    # --- the parent answers ------------------------------------------------------------------

    async def answer(
        self, uow: UnitOfWork, parent: Parent, action: str, now: datetime
    ) -> list[Reply]:
        """The parent's yes or no, or their "end" under an earlier yes."""
        t = self._catalogs.translator(parent.language)
        duo_id, _, answer = action.removeprefix(PRO_ACTION).partition(":")
        found = await self._duo_of(uow, parent, number(duo_id))
        if found is None:
            return [Reply(t.gettext("That button no longer works."), rtl=t.rtl)]
        duo, case, vp, professional = found
        if answer == "end":
            return await self._end(uow, duo, case, vp, professional, "parent", now)
        if answer not in ("yes", "all"):
            await uow.professionals.end(duo.id, "refused", now)
            await uow.cases.note(case.id, "duo_refused", {"second": professional.id}, now)
            note = staff_translator(self._catalogs, vp).gettext(
                "The parent of {alias} prefers to keep talking with you alone."
            )
            await self._cases.tell(uow, vp, note.format(alias=case.alias), case, now)
            return [Reply(t.gettext("Fine, nothing changes."), rtl=t.rtl)]
        if not await uow.professionals.join(duo.id, now):
            return [Reply(t.gettext("That button no longer works."), rtl=t.rtl)]
        await uow.cases.add_member(case.id, professional.id, now)
        await uow.cases.note(case.id, "duo_added", {"second": professional.id}, now)
        await uow.cases.accessed(case, professional.id, "joined", now)
        pt = staff_translator(self._catalogs, professional)
        intro = pt.gettext(
            "{name}, a vertrouwenspersoon of Tussen In, brought you into the conversation "
            "{alias} ({topic}), with the parent's consent. You see what is written from now "
            "on; {name} will send you a summary. Write here to answer the parent; reply to a "
            "message to choose its conversation."
        ).format(name=vp.display_name, alias=case.alias, topic=words.topic(pt, case.topic))
        await self._cases.tell(uow, professional, intro, case, now)
        if answer == "all":  # the parent let them read what came before, too
            so_far = await conversation_so_far(uow, self._vault, case, pt, self._zone)
            await self._mail.send(
                uow,
                professional.subject_hash,
                professional.sealed_chat,
                so_far,
                f"case:{case.id}",
                now,
            )
        vt = staff_translator(self._catalogs, vp)
        note = vt.gettext(
            "The parent agreed: {second} is now in {alias}. They see only what is written from "
            "now on. Write a summary for them: /summary {alias} TEXT"
        ).format(second=professional.display_name, alias=case.alias)
        await self._cases.tell(uow, vp, note, case, now)
        word = t.pgettext("control words", ALONE).split("|")[0].upper()
        done = t.gettext(
            "Thank you. {second} has joined the conversation. You can end this at any time: "
            "press the button, or write {word}."
        ).format(second=professional.display_name, word=word)
        end = (Choice(fit_label(t.gettext("End it")), f"{PRO_ACTION}{duo.id}:end"),)
        return [Reply(done, choices=(end,), rtl=t.rtl)]

    async def ends_by_word(self, uow: UnitOfWork, parent: Parent, text: str) -> bool:
        """Whether `text` is the plain word while a professional is on one of their cases."""
        if not self._catalogs.translator(parent.language).says(text, ALONE):
            return False
        return bool(await self._joined_of_parent(uow, parent))

    async def end_by_parent(self, uow: UnitOfWork, parent: Parent, now: datetime) -> list[Reply]:
        """The parent wrote the plain word: every professional on their cases leaves."""
        replies: list[Reply] = []
        for duo in await self._joined_of_parent(uow, parent):
            found = await self._duo_of(uow, parent, duo.id)
            if found is not None:
                replies += await self._end(uow, *found, "parent", now)
        return replies

    # --- the VP ------------------------------------------------------------------------------

    async def on_case(self, uow: UnitOfWork, case: Case) -> list[CaseProfessional]:
        """The professionals who joined the case and are still on it."""
        return [d for d in await uow.professionals.of_case(case.id) if d.joined_at is not None]

    def end_choices(
        self, t: Translator, case: Case, joined: list[tuple[CaseProfessional, Person]]
    ) -> tuple[tuple[Choice, ...], ...]:
        label = t.gettext("End the duo with {name}")
        return tuple(
            (Choice(fit_label(label.format(name=p.display_name)), f"{END_ACTION}{d.id}"),)
            for d, p in joined
        )

    async def end_by_vp(
        self, uow: UnitOfWork, vp: Person, own: list[Case], duo_id: int | None, now: datetime
    ) -> list[Reply]:
        t = staff_translator(self._catalogs, vp)
        duo = await uow.professionals.get(duo_id) if duo_id is not None else None
        case = next((c for c in own if duo is not None and c.id == duo.case_id), None)
        professional = await uow.people.get(duo.person_id) if duo is not None else None
        if duo is None or case is None or professional is None or duo.ended_at is not None:
            return [Reply(t.gettext("That button no longer works."))]
        return await self._end(uow, duo, case, vp, professional, "vp", now)

    async def summary(
        self, uow: UnitOfWork, vp: Person, own: list[Case], argument: str | None, now: datetime
    ) -> list[Reply]:
        """/summary ALIAS TEXT: for the professionals on the case, sealed like a note."""
        t = staff_translator(self._catalogs, vp)
        alias, _, text = (argument or "").strip().partition(" ")
        text = text.strip()
        case = words.named(own, alias)
        if not text:
            usage = t.gettext(
                "Write /summary, the question's code and what the professional needs to know, "
                "for example /summary {alias} Mother of two; the school and the CJG are "
                "involved."
            )
            return [Reply(usage.format(alias="K7F2"))]
        if case is None:
            return [Reply(words.not_yours(t, alias))]
        joined = await self.on_case(uow, case)
        if not joined:
            reply = t.gettext("No professional is on {alias}. Bring one in with /duo {alias}.")
            return [Reply(reply.format(alias=case.alias))]
        if len(text) > MAX_SUMMARY:
            reply = t.ngettext(
                "That is too long: at most {count} character. Nothing was sent.",
                "That is too long: at most {count} characters. Nothing was sent.",
                MAX_SUMMARY,
            )
            return [Reply(reply.format(count=MAX_SUMMARY))]
        await uow.notes.add(case.id, vp.id, self._vault.seal(text), now, kind="summary")
        for duo in joined:
            professional = await uow.people.get(duo.person_id)
            if professional is None or not professional.active:
                continue
            pt = staff_translator(self._catalogs, professional)
            head = pt.gettext("{name}'s summary of {alias}:").format(
                name=vp.display_name, alias=case.alias
            )
            await self._mail.send(
                uow,
                professional.subject_hash,
                professional.sealed_chat,
                [Reply(f"{head}\n{text}", protect=True)],
                f"case:{case.id}",
                now,
            )
        await uow.cases.accessed(case, vp.id, "note", now)
        return [Reply(t.gettext("The summary was sent."))]

    # --- the professional's own chat ---------------------------------------------------------

    async def handle(
        self,
        uow: UnitOfWork,
        person: Person,
        incoming: Input,
        now: datetime,
        said: Said | None = None,
    ) -> list[Reply]:
        """They write to the families they were brought to; there is nothing else to do."""
        t = staff_translator(self._catalogs, person)
        relay = self._cases.relay
        if isinstance(incoming, Pick) and incoming.action.startswith("relay:"):
            cases = [c for c in await uow.cases.of_member(person.id) if c.relaying]
            chosen = await relay.choose(uow, person.subject_hash, incoming.action, cases, now)
            if chosen is None:
                return [Reply(t.gettext("That button no longer works."))]
            return await relay.staff_to(uow, person, chosen[0], chosen[1], now)
        if said is not None and not isinstance(incoming, (Command, Pick)):
            return await relay.from_staff(uow, person, said, now)
        return [
            Reply(
                t.gettext(
                    "You are here as a professional of {organisation}. You see only the "
                    "conversations a vertrouwenspersoon brought you into, with the parent's "
                    "consent. Write here to answer; reply to a message to choose its "
                    "conversation. There are no commands for you."
                ).format(organisation=self.organisation(person))
            )
        ]

    # --- shared ----------------------------------------------------------------------------

    async def _duo_of(
        self, uow: UnitOfWork, parent: Parent, duo_id: int | None
    ) -> tuple[CaseProfessional, Case, Person, Person] | None:
        duo = await uow.professionals.get(duo_id) if duo_id is not None else None
        if duo is None or duo.ended_at is not None:
            return None
        case = await uow.cases.get(duo.case_id)
        if case is None or case.parent_id != parent.id or not case.relaying:
            return None
        vp = await uow.people.get(case.vp_id) if case.vp_id is not None else None
        professional = await uow.people.get(duo.person_id)
        if vp is None or professional is None:
            return None
        return duo, case, vp, professional

    async def _joined_of_parent(self, uow: UnitOfWork, parent: Parent) -> list[CaseProfessional]:
        joined = []
        for case in await uow.cases.open_of_parent(parent.id):
            if case.relaying:
                joined += await self.on_case(uow, case)
        return joined

    async def _end(
        self,
        uow: UnitOfWork,
        duo: CaseProfessional,
        case: Case,
        vp: Person,
        professional: Person,
        by: str,
        now: datetime,
    ) -> list[Reply]:
        """The professional leaves the case; everyone hears. Returns what the ender sees."""
        t = self._catalogs.translator(case.language)
        if not await uow.professionals.end(duo.id, by, now):
            return [Reply(t.gettext("That button no longer works."), rtl=t.rtl)]
        await uow.cases.remove_member(case.id, professional.id)
        await uow.cases.note(case.id, "duo_ended", {"second": professional.id, "by": by}, now)
        pt = staff_translator(self._catalogs, professional)
        gone = pt.gettext(
            "Your part in {alias} has ended. You can no longer read or write in it. Thank you."
        ).format(alias=case.alias)
        await self._cases.tell(uow, professional, gone, case, now)
        told_parent = t.gettext("{second} no longer reads along.").format(
            second=professional.display_name
        )
        vt = staff_translator(self._catalogs, vp)
        if by == "parent":
            note = vt.gettext("The parent of {alias} ended the duo with {second}.")
            await self._cases.tell(
                uow, vp, note.format(alias=case.alias, second=professional.display_name), case, now
            )
            return [Reply(told_parent, rtl=t.rtl)]
        await self._cases.to_parent(uow, case, [Reply(told_parent, rtl=t.rtl)], now)
        done = vt.gettext("The duo with {second} on {alias} has ended.")
        return [Reply(done.format(second=professional.display_name, alias=case.alias))]

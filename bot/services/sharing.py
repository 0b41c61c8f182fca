"""What a parent chooses to share: their first name or phone number with their VP (shown
back to them first, sealed, erased with the case), and consent to a second person in the
case (duo-coaching)."""

from __future__ import annotations

import json
import re
from datetime import datetime

from bot.i18n import Catalogs, Translator
from bot.services.cases import CaseDesk
from bot.services.mail import Mail
from bot.services.privacy import IdentityVault
from bot.services.staff import staff_translator
from flows.inputs import number
from flows.limits import fit_label
from flows.outputs import Choice, Reply
from storage import Parent, UnitOfWork
from storage.records import Case, Person

SHARE_ACTION = "share:"  # share:<held>:<case>, case 0 = do not send
DUO_ACTION = "duo:"  # the VP's choice: duo:<case>:<person>
CONSENT_ACTION = "consent:"  # the parent's answer: consent:<case>:<person>:yes|no
PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{7,18}")
MAX_FIRST_NAME = 40


def _named(person: Person) -> str:
    """A VP by name; a professional as parents will see them, with their organisation."""
    return person.display_name if person.role == "partner" else person.name


class Sharing:
    def __init__(self, vault: IdentityVault, catalogs: Catalogs, cases: CaseDesk) -> None:
        self._vault = vault
        self._catalogs = catalogs
        self._cases = cases
        self._mail = Mail(vault)

    # --- reveal ----------------------------------------------------------------------------

    async def ask_reveal(
        self, uow: UnitOfWork, parent: Parent, value: str, now: datetime
    ) -> list[Reply]:
        """/share VALUE: show it back, with a button per VP; nothing is sent yet."""
        t = self._catalogs.translator(parent.language)
        cases = await self._relaying(uow, parent)
        if not cases:
            text = t.gettext(
                "You can share your first name or phone number once a vertrouwenspersoon "
                "has your question."
            )
            return [self._say(t, text)]
        value = " ".join(value.split())
        kind = "phone" if PHONE.fullmatch(value) else "first_name"
        if not value or (
            kind == "first_name"
            and (len(value) > MAX_FIRST_NAME or " " in value or any(c.isdigit() for c in value))
        ):
            text = t.gettext(
                "Write /share and then only your first name or your phone number, for "
                "example: /share Fatima. I will show it to you before anything is sent."
            )
            return [self._say(t, text)]
        sealed = self._vault.seal(json.dumps({"kind": kind, "value": value}))
        held = await uow.relays.hold(parent.subject_hash, None, sealed, now)
        if kind == "phone":
            text = t.gettext("You are about to share your phone number: {value}")
        else:
            text = t.gettext("You are about to share your first name: {value}")
        rows: list[tuple[Choice, ...]] = []
        for case in cases:
            vp = await uow.people.get(case.vp_id or 0)
            name = vp.display_name if vp else case.alias
            label = fit_label(t.gettext("Send to {name}").format(name=name))
            rows.append((Choice(label, f"{SHARE_ACTION}{held}:{case.id}"),))
        rows.append((Choice(fit_label(t.gettext("Don't send")), f"{SHARE_ACTION}{held}:0"),))
        return [Reply(text.format(value=value), choices=tuple(rows), rtl=t.rtl)]

    async def reveal(
        self, uow: UnitOfWork, parent: Parent, action: str, now: datetime
    ) -> list[Reply]:
        t = self._catalogs.translator(parent.language)
        held_id, _, case_id = action.removeprefix(SHARE_ACTION).partition(":")
        held_number = number(held_id)
        held = await uow.relays.held(held_number) if held_number is not None else None
        if held is None or held.owner != parent.subject_hash or held.case_id is not None:
            return [self._say(t, t.gettext("That button no longer works."))]
        await uow.relays.release(held.id)
        case = next((c for c in await self._relaying(uow, parent) if str(c.id) == case_id), None)
        if case is None:
            return [self._say(t, t.gettext("Nothing was shared."))]
        shared = json.loads(self._vault.open(held.sealed_payload))
        known = json.loads(self._vault.open(case.sealed_reveal)) if case.sealed_reveal else {}
        known[shared["kind"]] = shared["value"]
        await uow.cases.set_reveal(case.id, self._vault.seal(json.dumps(known)))
        await uow.cases.note(case.id, "shared", {"kind": shared["kind"]}, now)
        for person in await self._members(uow, case):
            st = staff_translator(self._catalogs, person)
            if shared["kind"] == "phone":
                note = st.gettext("The parent of {alias} shares their phone number: {value}")
            else:
                note = st.gettext("The parent of {alias} shares their first name: {value}")
            shown = note.format(alias=case.alias, value=shared["value"])
            await self._mail.send(
                uow,
                person.subject_hash,
                person.sealed_chat,
                [Reply(shown, protect=True)],  # a name or number: not to be forwarded
                f"case:{case.id}",
                now,
            )
        vp = await uow.people.get(case.vp_id or 0)
        done = t.gettext("Sent to {name}.").format(name=vp.display_name if vp else case.alias)
        return [self._say(t, done)]

    # --- a second person (duo-coaching) ----------------------------------------------------

    def choose_second(self, t: Translator, case: Case, candidates: list[Person]) -> Reply:
        if not candidates:
            return Reply(t.gettext("There is nobody else registered to bring in."))
        rows = tuple(
            (Choice(fit_label(_named(p)), f"{DUO_ACTION}{case.id}:{p.id}"),) for p in candidates
        )
        text = t.gettext("Whom would you like to bring into {alias}? The parent is asked first.")
        return Reply(text.format(alias=case.alias), choices=rows)

    async def ask_consent(
        self, uow: UnitOfWork, vp: Person, case: Case, second: Person, now: datetime
    ) -> list[Reply]:
        """The VP chose a second person: the parent decides."""
        t = self._catalogs.translator(case.language)
        # One person per sentence, so each sentence takes that person's gender.
        asks = t.vpgettext(
            vp.gender, "{name} would like to bring in a second person to help with your question."
        ).format(name=vp.display_name)
        who = t.vpgettext(
            second.gender,
            "{second} also works with us and would read and write in this conversation too.",
        ).format(second=second.display_name)
        text = " ".join((asks, who, t.gettext("Do you agree?")))
        action = f"{CONSENT_ACTION}{case.id}:{second.id}"
        question = Reply(
            text,
            choices=(
                (Choice(fit_label(t.gettext("Yes, that is fine")), action + ":yes"),),
                (Choice(fit_label(t.gettext("No, rather not")), action + ":no"),),
            ),
            rtl=t.rtl,
        )
        await self._cases.to_parent(uow, case, [question], now)
        await uow.cases.note(case.id, "duo_asked", {"vp": vp.id, "second": second.id}, now)
        st = staff_translator(self._catalogs, vp)
        return [Reply(st.gettext("We asked the parent. You will hear their answer here."))]

    async def consent(
        self, uow: UnitOfWork, parent: Parent, action: str, now: datetime
    ) -> list[Reply]:
        t = self._catalogs.translator(parent.language)
        case_id, second_id, answer = [*action.removeprefix(CONSENT_ACTION).split(":"), "", ""][:3]
        cases = await self._relaying(uow, parent)
        case = next((c for c in cases if str(c.id) == case_id), None)
        second_number = number(second_id)
        second = await uow.people.get(second_number) if second_number is not None else None
        vp = await uow.people.get(case.vp_id or 0) if case else None
        if case is None or second is None or vp is None or not second.active:
            return [self._say(t, t.gettext("That button no longer works."))]
        st = staff_translator(self._catalogs, vp)
        if answer != "yes":
            await uow.cases.note(case.id, "duo_refused", {"second": second.id}, now)
            note = st.gettext("The parent of {alias} prefers to keep talking with you alone.")
            await self._cases.tell(uow, vp, note.format(alias=case.alias), case, now)
            return [self._say(t, t.gettext("Fine, nothing changes."))]
        await uow.cases.add_member(case.id, second.id, now)
        await uow.cases.note(case.id, "duo_added", {"second": second.id}, now)
        await uow.cases.accessed(case, second.id, "read", now)
        intro = staff_translator(self._catalogs, second).gettext(
            "{name} brought you into {alias}, with the parent's consent. Their question:"
        )
        await self._mail.send(
            uow,
            second.subject_hash,
            second.sealed_chat,
            self._cases.case_for_vp(case, intro.format(name=vp.name, alias=case.alias)),
            f"case:{case.id}",
            now,
        )
        note = st.gettext("The parent agreed: {second} is now in {alias}.")
        await self._cases.tell(
            uow, vp, note.format(second=second.name, alias=case.alias), case, now
        )
        done = t.vpgettext(second.gender, "Thank you. {second} has joined the conversation.")
        return [self._say(t, done.format(second=second.display_name))]

    # --- shared ----------------------------------------------------------------------------

    @staticmethod
    async def _relaying(uow: UnitOfWork, parent: Parent) -> list[Case]:
        return [c for c in await uow.cases.open_of_parent(parent.id) if c.relaying]

    @staticmethod
    async def _members(uow: UnitOfWork, case: Case) -> list[Person]:
        """The VPs on the case: a professional of a partner never learns who the parent is."""
        people = [await uow.people.get(p) for p in await uow.cases.members(case.id)]
        return [p for p in people if p is not None and p.active and p.role != "partner"]

    @staticmethod
    def _say(t: Translator, text: str) -> Reply:
        return Reply(text, rtl=t.rtl)

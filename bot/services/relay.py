"""The anonymous relay between a parent and the staff of their case.

Messages are copied, never forwarded: the parent's name, username and id stay with
Telegram. A staff member's message reaches a parent only when its case is certain: a reply
to a relayed copy, or their only open case; with more than one they choose the case by
button first, and nothing is sent until they do. Contacts, locations, venues and
documents from parents are refused and not kept: they can tell who and where they are.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from bot.i18n import Catalogs, Translator
from bot.services import staff_words as words
from bot.services.mail import Mail
from bot.services.privacy import IdentityVault
from bot.services.staff import staff_translator
from flows.inputs import number
from flows.outputs import Choice, Reply
from storage import Parent, UnitOfWork
from storage.records import Case, Person

FROM_PARENTS = ("text", "voice", "photo")
FROM_STAFF = ("text", "voice", "photo", "document")
REVEALING = ("contact", "location", "venue", "document")
# Formatting survives a copy; links, mentions and the like do not.
FORMATTING = frozenset(
    {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "pre",
        "blockquote",
        "expandable_blockquote",
    }
)
HOLD_ACTION = "relay:"


@dataclass(frozen=True)
class Said:
    """A message someone wrote, as the relay needs it: the channel's references to copy it,
    its text or caption with formatting only, and what it answered."""

    kind: str  # text, voice, photo, document, contact, location, venue, other
    chat_id: int
    message_id: int
    text: str = ""
    entities: tuple[tuple[str, int, int], ...] = field(default=())  # (type, offset, length)
    file_id: str = ""  # voice: to send it as audio where voice messages are refused
    reply_to: int | None = None  # the message it answers, in the writer's own chat
    edited: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> Said:
        data = json.loads(raw)
        data["entities"] = tuple(tuple(e) for e in data["entities"])
        return cls(**data)


def hold_action(held_id: int, case_id: int) -> str:
    return f"{HOLD_ACTION}{held_id}:{case_id}"


class Relay:
    def __init__(self, vault: IdentityVault, catalogs: Catalogs) -> None:
        self._vault = vault
        self._catalogs = catalogs
        self._mail = Mail(vault)

    # --- from a parent ----------------------------------------------------------------------

    async def from_parent(
        self, uow: UnitOfWork, parent: Parent, said: Said, now: datetime
    ) -> list[Reply] | None:
        """Pass a parent's message on to their case; None when they have no open case."""
        cases = await uow.cases.open_of_parent(parent.id)
        if not cases:
            return None
        t = self._catalogs.translator(parent.language)
        if said.edited:
            await self._edit(uow, parent.subject_hash, said, now)
            return []
        if said.kind in REVEALING:
            return [self._say(t, self._revealing(t))]
        if said.kind not in FROM_PARENTS:
            return [self._say(t, t.gettext("I can pass on text, voice messages and photos."))]
        case = await self._answered_case(uow, parent.subject_hash, said, cases)
        if case is None and len(cases) == 1:
            case = cases[0]
        if case is None:
            held = await uow.relays.hold(parent.subject_hash, None, self._seal(said), now)
            rows = [
                (Choice(await self._case_label(uow, c, t), hold_action(held, c.id)),) for c in cases
            ]
            text = t.gettext("You have more than one question open. Which one is this message for?")
            return [Reply(text, choices=tuple(rows), rtl=t.rtl)]
        return await self.parent_to(uow, parent, case, said, now)

    async def parent_to(
        self, uow: UnitOfWork, parent: Parent, case: Case, said: Said, now: datetime
    ) -> list[Reply]:
        t = self._catalogs.translator(parent.language)
        if not case.relaying:
            await uow.relays.hold(parent.subject_hash, case.id, self._seal(said), now)
            text = t.gettext(
                "I have kept your message. The vertrouwenspersoon will see it as soon as "
                "they take your question."
            )
            return [self._say(t, text)]
        await self._to_staff(uow, case, parent.subject_hash, said, now)
        return []

    async def deliver_held(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        """The case was accepted: what the parent wrote meanwhile goes to its VP now."""
        for held in await uow.relays.held_for(case.id):
            if await uow.relays.release(held.id):
                said = Said.from_json(self._vault.open(held.sealed_payload))
                await self._to_staff(uow, case, held.owner, said, now)

    async def _to_staff(
        self, uow: UnitOfWork, case: Case, parent_hash: str, said: Said, now: datetime
    ) -> None:
        """Copies to the case's staff; the parent's message gets a 👍: it was passed on."""
        passed_on = False
        for person_id in await uow.cases.members(case.id):
            person = await uow.people.get(person_id)
            if person is None or not person.active:
                continue
            passed_on = True
            await self._copy(
                uow,
                case,
                parent_hash,
                said,
                person.subject_hash,
                person.sealed_chat,
                header=f"{case.alias} ▸",
                rtl=False,
                protect=True,
                reply_to=await self._answered_in(uow, parent_hash, said, person.subject_hash),
                now=now,
            )
        parent = await uow.parents.find(parent_hash)
        if passed_on:
            await uow.kept.keep(case.id, None, self._seal(said), now)  # for a successor
        if passed_on and parent is not None and parent.stopped_at is None:
            await self._mail.react(uow, parent_hash, parent.sealed_chat, said.message_id, now)

    # --- from staff -------------------------------------------------------------------------

    async def from_staff(
        self, uow: UnitOfWork, person: Person, said: Said, now: datetime
    ) -> list[Reply]:
        """Pass a VP's (or second person's) message on, only to a case that is certain."""
        t = staff_translator(self._catalogs, person)
        if said.edited:
            await self._edit(uow, person.subject_hash, said, now)
            return []
        if said.kind not in FROM_STAFF:
            text = t.gettext("Only text, voice messages, photos and documents can be passed on.")
            return [Reply(text)]
        cases = [case for case in await uow.cases.of_member(person.id) if case.relaying]
        if said.reply_to is not None:
            copy = await uow.relays.copy_in(person.subject_hash, said.reply_to)
            if copy is not None:
                case = next((c for c in cases if c.id == copy.case_id), None)
                if case is None:
                    text = t.gettext(
                        "That conversation is closed or no longer yours. Nothing was sent."
                    )
                    return [Reply(text)]
                return await self.staff_to(uow, person, case, said, now)
        if not cases:
            return [Reply(t.gettext("You have no open conversation with a parent."))]
        if len(cases) == 1 and said.reply_to is None:
            return await self.staff_to(uow, person, cases[0], said, now)
        # With several cases, or a reply to a message that is no (longer a) relayed copy —
        # its parent may have erased everything — the VP says which case; never a guess.
        held = await uow.relays.hold(person.subject_hash, None, self._seal(said), now)
        if len(cases) > 1:
            text = t.gettext(
                "You have more than one open question. Which one is this message for? "
                "Nothing is sent until you choose."
            )
        else:
            text = t.gettext(
                "Which question is this message for? Nothing is sent until you choose."
            )
        rows = tuple((Choice(words.chooser_label(t, c), hold_action(held, c.id)),) for c in cases)
        return [Reply(text, choices=rows)]

    async def staff_to(
        self, uow: UnitOfWork, person: Person, case: Case, said: Said, now: datetime
    ) -> list[Reply]:
        t = staff_translator(self._catalogs, person)
        members = await uow.cases.members(case.id)
        if person.id not in members or not case.relaying:
            return [
                Reply(
                    t.gettext("That conversation is closed or no longer yours. Nothing was sent.")
                )
            ]
        parent = await uow.parents.get(case.parent_id)
        if parent is None or parent.stopped_at is not None or not parent.sealed_chat:
            text = t.gettext(
                "The parent of {alias} has paused messages (/stop). Nothing was sent; "
                "when they write again, you can answer."
            ).format(alias=case.alias)
            return [Reply(text)]
        pt = self._catalogs.translator(parent.language)
        await self._copy(
            uow,
            case,
            person.subject_hash,
            said,
            parent.subject_hash,
            parent.sealed_chat,
            header=f"{person.display_name}:",
            rtl=pt.rtl,
            protect=False,
            reply_to=await self._answered_in(uow, person.subject_hash, said, parent.subject_hash),
            now=now,
        )
        for other_id in members:
            other = await uow.people.get(other_id)
            if other is None or other.id == person.id or not other.active:
                continue
            await self._copy(
                uow,
                case,
                person.subject_hash,
                said,
                other.subject_hash,
                other.sealed_chat,
                header=f"{case.alias} ▸ {person.display_name}:",
                rtl=False,
                protect=True,
                reply_to=None,
                now=now,
            )
        if await self._understood(uow, case, person) and await uow.cases.contacted(case.id, now):
            await uow.cases.note(case.id, "in_contact", {"vp": person.id}, now)
        await uow.cases.accessed(case, person.id, "wrote", now)
        await uow.kept.keep(case.id, person.id, self._seal(said), now)  # for a successor
        return []

    @staticmethod
    async def _understood(uow: UnitOfWork, case: Case, writer: Person) -> bool:
        """A message counts as contact only when someone on the case speaks the parent's
        language: the writer, or their duo partner (a VP who does not speak it saying "I
        don't speak Arabic" is no contact)."""
        if case.status != "accepted":
            return False  # in contact already, or not relaying: nothing to record
        if case.language in writer.languages:
            return True
        for member_id in await uow.cases.members(case.id):
            member = await uow.people.get(member_id)
            if member is not None and member.active and case.language in member.languages:
                return True
        return False

    # --- choosing the case of a held message -----------------------------------------------

    async def choose(
        self,
        uow: UnitOfWork,
        owner: str,
        action: str,
        allowed: list[Case],
        now: datetime,
    ) -> tuple[Case, Said] | None:
        """The writer chose the case for their held message; None if it is not theirs."""
        held_id, _, case_id = (number(x) for x in action.removeprefix(HOLD_ACTION).partition(":"))
        if held_id is None or case_id is None:
            return None
        held = await uow.relays.held(held_id)
        case = next((c for c in allowed if c.id == case_id), None)
        if held is None or held.owner != owner or held.case_id is not None or case is None:
            return None
        if not await uow.relays.release(held.id):
            return None
        return case, Said.from_json(self._vault.open(held.sealed_payload))

    # --- shared ----------------------------------------------------------------------------

    async def _copy(
        self,
        uow: UnitOfWork,
        case: Case,
        origin_owner: str,
        said: Said,
        recipient: str,
        sealed_chat: str | None,
        *,
        header: str,
        rtl: bool,
        protect: bool,
        reply_to: int | None,
        now: datetime,
    ) -> None:
        relay_id = await uow.relays.add(case.id, recipient, origin_owner, said.message_id, now)
        await self._mail.relay(
            uow,
            recipient,
            sealed_chat,
            {
                "said": asdict(said),
                "header": header,
                "rtl": rtl,
                "protect": protect,
                "reply_to": reply_to,
                "relay": relay_id,
            },
            f"case:{case.id}",
            now,
        )

    async def _edit(self, uow: UnitOfWork, owner: str, said: Said, now: datetime) -> None:
        """An edited message goes again, marked, as a reply to the copy it changes; the
        conversation kept for a successor gets the new wording too."""
        writer = await uow.people.find(owner)
        kept: set[int] = set()
        for copy in await uow.relays.copies_of(owner, said.message_id):
            case = await uow.cases.get(copy.case_id)
            if case is None or not case.relaying or copy.copy_message_id is None:
                continue
            if case.id not in kept:
                kept.add(case.id)
                author = writer.id if writer is not None else None
                await uow.kept.keep(case.id, author, self._seal(said), now)
            person = await uow.people.find(copy.recipient)
            chat: str | None
            if person is not None:
                chat, t = person.sealed_chat, staff_translator(self._catalogs, person)
                header = t.gettext("{alias} ▸ (edited)").format(alias=case.alias)
            else:
                parent = await uow.parents.find(copy.recipient)
                if parent is None or parent.stopped_at is not None:
                    continue
                chat, t = parent.sealed_chat, self._catalogs.translator(parent.language)
                header = t.gettext("(edited)")
            await self._copy(
                uow,
                case,
                owner,
                said,
                copy.recipient,
                chat,
                header=header,
                rtl=t.rtl,
                protect=person is not None,
                reply_to=copy.copy_message_id,
                now=now,
            )

    async def _answered_case(
        self, uow: UnitOfWork, owner: str, said: Said, cases: list[Case]
    ) -> Case | None:
        if said.reply_to is None:
            return None
        copy = await uow.relays.copy_in(owner, said.reply_to)
        return next((c for c in cases if copy is not None and c.id == copy.case_id), None)

    async def _answered_in(
        self, uow: UnitOfWork, writer: str, said: Said, recipient: str
    ) -> int | None:
        """If the writer answered a copy of the recipient's message: that original."""
        if said.reply_to is None:
            return None
        copy = await uow.relays.copy_in(writer, said.reply_to)
        if copy is None or copy.origin_owner != recipient:
            return None
        return copy.origin_message_id

    async def _case_label(self, uow: UnitOfWork, case: Case, t: Translator) -> str:
        vp = await uow.people.get(case.vp_id) if case.vp_id is not None else None
        if vp is not None and case.relaying:
            return vp.display_name
        return t.gettext("Question {alias} (waiting)").format(alias=case.alias)

    @staticmethod
    def _revealing(t: Translator) -> str:
        return t.gettext(
            "I did not pass this on and did not keep it: a contact, a location or a file "
            "can show who you are or where you live. You can write it in your own words "
            "if you want to."
        )

    def _seal(self, said: Said) -> str:
        return self._vault.seal(said.to_json())

    @staticmethod
    def _say(t: Translator, text: str) -> Reply:
        return Reply(text, rtl=t.rtl)

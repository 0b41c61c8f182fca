"""The conversation so far (#17): whoever takes a case over — by a handover, a coordinator's
reassignment, a deactivation, a block or a VP leaving — reads it before anything new. Kept
sealed for the life of the case (storage.relay.KeptMessages), shown protected."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.services import staff_words as words
from bot.services.privacy import IdentityVault
from bot.services.relay import Said
from flows.limits import TELEGRAM_TEXT_LIMIT
from flows.outputs import Reply
from storage import UnitOfWork
from storage.records import Case

# What a message without words was, in the reader's language.
KINDS = {
    "voice": N_("(a voice message)"),
    "photo": N_("(a photo)"),
    "document": N_("(a document)"),
}


async def conversation_so_far(
    uow: UnitOfWork, vault: IdentityVault, case: Case, t: Translator, zone: ZoneInfo
) -> list[Reply]:
    """The case's relayed messages, oldest first, each with when and who wrote it (the parent,
    or the staff member's display name); nothing when none were kept."""
    kept = await uow.kept.of_case(case.id)
    if not kept:
        return []
    names: dict[int, str] = {}
    for message in kept:
        if message.author_id is not None and message.author_id not in names:
            person = await uow.people.get(message.author_id)
            names[message.author_id] = person.display_name if person else "-"
    head = t.ngettext(
        "The conversation of {alias} so far ({count} message), for you who take it over:",
        "The conversation of {alias} so far ({count} messages), for you who take it over:",
        len(kept),
    ).format(alias=case.alias, count=len(kept))
    lines = [head]
    replies: list[Reply] = []
    for message in kept:
        said = Said.from_json(vault.open(message.sealed_said))
        line = _line(t, said, message.at, zone, names.get(message.author_id or 0))
        if len("\n".join([*lines, line])) > TELEGRAM_TEXT_LIMIT:
            replies.append(Reply("\n".join(lines), protect=True))
            lines = []
        lines.append(line[:TELEGRAM_TEXT_LIMIT])
    return [*replies, Reply("\n".join(lines), protect=True)]


def _line(t: Translator, said: Said, at: datetime, zone: ZoneInfo, staff: str | None) -> str:
    who = staff if staff is not None else t.gettext("Parent")
    what = said.text
    if said.kind in KINDS:
        kind = t.gettext(KINDS[said.kind])
        what = f"{kind} {said.text}".strip()
    if said.edited:
        edited = t.gettext("(edited)")
        what = f"{edited} {what}"
    return f"{words.time_of_day(t, at, zone)} – {who}: {what}"

"""The terminal channel: chat with the bot as a parent, buttons shown as numbered choices.

It runs the same services and storage as Telegram, with no token. A coordinator can
rehearse a whole handoff here: `:vp` plays a demo vertrouwenspersoon (registered on first
use, speaking every enabled language), `:coordinator` a demo coordinator, `:parent` goes
back. What the bot sends to someone other than the one typing is shown with their name.
"""

from __future__ import annotations

import asyncio
import getpass
import itertools
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TextIO

from bot.i18n import directed
from bot.runtime import Core
from bot.services.outbox import Outbox, Parcel
from bot.services.reception import Subject
from bot.services.relay import Said
from bot.services.staff import COORDINATOR, Staff
from bot.services.turn import RELAY, REPLY
from flows.inputs import Input, Pick, Text, number, read_command
from flows.outputs import Choice, Reply
from storage.people import Profile

CHANNEL = "shell"
BANNER = (
    "Tussen In — terminal chat. You are a parent; type /start to begin.\n"
    "Buttons appear as [1], [2], …: type the number. Ctrl-D (or /quit) leaves.\n"
    "Rehearse a handoff: :vp plays a demo vertrouwenspersoon, :coordinator a demo "
    "coordinator, :parent the parent again.\n"
)
DEMO = {
    "vp": ("demo-vp", "Demo VP"),
    COORDINATOR: ("demo-coordinator", "Demo Coordinator"),
}
LEASE = timedelta(seconds=30)


def render(reply: Reply) -> str:
    lines = [f"[{reply.media[0]}: {reply.media[1]}]"] if reply.media else []
    lines += [directed(reply.text, reply.rtl)] if reply.text else []
    lines += [f"  [{n}] {choice.label}" for n, choice in enumerate(reply.all_choices, start=1)]
    return "\n".join(lines)


def parse(line: str, choices: list[Choice]) -> Input | None:
    text = line.strip()
    if not text:
        return None
    chosen = number(text)
    if chosen is not None and 1 <= chosen <= len(choices):
        return Pick(choices[chosen - 1].action)
    if text.startswith("/"):
        return read_command(text)
    return Text(text)


@dataclass
class Stage:
    """Who is typing now, and each role's buttons as they last saw them."""

    role: str = "parent"
    ids: dict[str, str] = field(default_factory=lambda: {"parent": getpass.getuser()})
    names: dict[str, str] = field(default_factory=dict)  # recipient hash → name shown
    choices: dict[str, list[Choice]] = field(default_factory=dict)
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def subject(self) -> Subject:
        return Subject(CHANNEL, self.ids[self.role])


async def cast(core: Core, stage: Stage, role: str) -> str:
    """Play `role`; the demo person is registered the first time."""
    if role == "parent":
        stage.role = role
        return "You are the parent again."
    external_id, name = DEMO[role]
    key = core.vault.subject_hash(CHANNEL, external_id)
    async with core.database.transaction() as uow:
        if await uow.people.find(key) is None:
            staff, now = Staff(core.vault), core.clock.now()
            languages = tuple(core.coordinator.current.languages)
            profile = (
                Profile(role, name)
                if role == COORDINATOR
                else Profile(role, name, languages, "f", capacity=9)
            )
            code, _ = await staff.invite(uow, profile, now, timedelta(minutes=5))
            await staff.register(uow, code, CHANNEL, external_id, now)
            await core.reception.cases.offer_waiting(uow, now)
    stage.ids[role], stage.names[key] = external_id, name
    stage.role = role
    return f"You are now {name}. /help shows what you can do."


async def deliver(core: Core, stage: Stage, outbox: Outbox) -> list[str]:
    """The terminal's own dispatcher: what the bot sent to anyone, by name."""
    shown: list[str] = []
    while True:
        async with core.database.transaction() as uow:
            ours = {_key(core, external_id) for external_id in stage.ids.values()}
            items = await uow.outbox.claim(core.clock.now(), CHANNEL, LEASE, 50, ours)
            for item in items:
                await uow.outbox.mark_sent(item.id, CHANNEL, core.clock.now())
        if not items:
            return shown
        for parcel in map(outbox.open, items):
            text = _parcel_text(parcel)
            if text:
                role = next(
                    (r for r, i in stage.ids.items() if _key(core, i) == parcel.recipient), ""
                )
                who = stage.names.get(parcel.recipient, "the parent" if role == "parent" else "?")
                if parcel.reply is not None and parcel.reply.all_choices and role:
                    stage.choices[role] = list(parcel.reply.all_choices)
                shown.append(f"── to {who} ──\n{text}")


def _parcel_text(parcel: Parcel) -> str:
    if parcel.kind == REPLY and parcel.reply is not None:
        return render(parcel.reply)
    if parcel.kind == RELAY:
        said = parcel.payload["said"]
        return directed(f"{parcel.payload['header']}\n{said['text']}", parcel.payload["rtl"])
    return ""


def _key(core: Core, external_id: str) -> str:
    return core.vault.subject_hash(CHANNEL, external_id)


async def run_shell(core: Core, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    stage, outbox = Stage(), Outbox(core.vault, CHANNEL)
    stage.names[_key(core, stage.ids["parent"])] = "the parent"
    stdout.write(BANNER)
    while True:
        stdout.write(f"{stage.role}> ")
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line or line.strip() == "/quit":
            stdout.write("\nBye.\n")
            return
        if line.strip() in (":parent", ":vp", ":coordinator"):
            stdout.write(await cast(core, stage, line.strip()[1:]) + "\n")
            for message in await deliver(core, stage, outbox):
                stdout.write(f"\n{message}\n")
            stdout.write("\n")
            continue
        incoming = parse(line, stage.choices.get(stage.role, []))
        if incoming is None:
            continue
        said = None
        if isinstance(incoming, Text):
            said = Said("text", 0, next(stage.message_ids), incoming.text)
        async with core.database.transaction() as uow:
            replies = await core.reception.handle(
                uow, stage.subject, incoming, core.clock.now(), said=said
            )
        keyboards = [reply.all_choices for reply in replies if reply.all_choices]
        if keyboards:  # the numbers answer the last keyboard shown, as a phone's thumb would
            stage.choices[stage.role] = keyboards[-1]
        for reply in replies:
            stdout.write(f"\n{render(reply)}\n")
        for message in await deliver(core, stage, outbox):
            stdout.write(f"\n{message}\n")
        stdout.write("\n")

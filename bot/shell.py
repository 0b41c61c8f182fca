"""The terminal channel: chat with the bot as a parent, buttons shown as numbered choices.

It runs the same services and storage as Telegram, with no token.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import TextIO

from bot.i18n import directed
from bot.runtime import Core
from bot.services.reception import Subject
from flows.inputs import Command, Input, Pick, Text
from flows.outputs import Choice, Reply

CHANNEL = "shell"
BANNER = (
    "Tussen In — terminal chat. You are a parent; type /start to begin.\n"
    "Buttons appear as [1], [2], …: type the number. Ctrl-D (or /quit) leaves.\n"
)


def render(reply: Reply) -> str:
    lines = [f"[{reply.media[0]}: {reply.media[1]}]"] if reply.media else []
    lines += [directed(reply.text, reply.rtl)] if reply.text else []
    lines += [f"  [{n}] {choice.label}" for n, choice in enumerate(reply.all_choices, start=1)]
    return "\n".join(lines)


def parse(line: str, choices: list[Choice]) -> Input | None:
    text = line.strip()
    if not text:
        return None
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return Pick(choices[int(text) - 1].action)
    if text.startswith("/"):
        return Command(text[1:].split(maxsplit=1)[0].lower())
    return Text(text)


async def run_shell(core: Core, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    subject = Subject(CHANNEL, getpass.getuser())
    choices: list[Choice] = []
    stdout.write(BANNER)
    while True:
        stdout.write("> ")
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line or line.strip() == "/quit":
            stdout.write("\nBye.\n")
            return
        incoming = parse(line, choices)
        if incoming is None:
            continue
        async with core.database.transaction() as uow:
            replies = await core.reception.handle(uow, subject, incoming, core.clock.now())
        choices = [c for reply in replies for c in reply.all_choices] or choices
        for reply in replies:
            stdout.write(f"\n{render(reply)}\n")
        stdout.write("\n")

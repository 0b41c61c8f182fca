"""What a parent can send, independent of the channel it came through, and the strict
reading of what comes from outside: commands, their arguments, button data and numbers.
Anything that does not fit is read as nothing in particular, never guessed at."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_DIGITS = 9  # every id fits a 32-bit database integer; "²" and "٣" are not digits here
MAX_COMMAND_NAME = 32  # Telegram: a-z, 0-9 and _, at most 32 characters
MAX_ARGUMENT = 256  # a deep link's payload is at most 64; /share and /name need less
MAX_BUTTON_DATA = 64  # Telegram's callback_data holds at most 64 bytes
_COMMAND = re.compile(
    rf"/([A-Za-z0-9_]{{1,{MAX_COMMAND_NAME}}})(?:@[A-Za-z0-9_]{{1,64}})?(?:\s+(.*))?", re.DOTALL
)


@dataclass(frozen=True)
class Command:
    """A Latin command such as `start`, without the slash; `argument` is what follows
    (a deep link's start payload). `name` is "" when no command word follows the slash."""

    name: str
    argument: str | None = None


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Pick:
    """A button pressed; `action` is the button's short action string."""

    action: str


@dataclass(frozen=True)
class Media:
    """Something other than text (voice, photo, document…); `kind` names it, `ref` is the
    channel's reference to the file (kept only where a flow saves it)."""

    kind: str
    ref: str | None = None


@dataclass(frozen=True)
class Timeout:
    """Nobody answered the question numbered `step` in time."""

    step: int


Input = Command | Text | Pick | Media | Timeout


def number(text: str) -> int | None:
    """A whole number in 1 to MAX_DIGITS ASCII digits, or None for anything else."""
    if 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None


def read_command(text: str) -> Command:
    """A message starting with "/": `/name@bot argument`, strictly. A slash without a Latin
    command word right after it gives the name ""; an argument longer than MAX_ARGUMENT is
    not read, so the command answers as if it had none (with its usage)."""
    found = _COMMAND.fullmatch(text.strip())
    if found is None:
        return Command("")
    argument = (found.group(2) or "").strip()
    fits = 0 < len(argument) <= MAX_ARGUMENT
    return Command(found.group(1).lower(), argument if fits else None)


def read_button(data: str | None) -> Pick:
    """A button press; data no button of ours can carry is read as "", which names none."""
    if not data or len(data.encode("utf-8", "replace")) > MAX_BUTTON_DATA:
        return Pick("")
    return Pick(data)

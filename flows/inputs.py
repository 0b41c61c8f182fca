"""What a parent can send, independent of the channel it came through."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """A Latin command such as `start`, without the slash; `argument` is what follows
    (a deep link's start payload)."""

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

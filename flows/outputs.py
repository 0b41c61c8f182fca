"""What the bot says, independent of the channel that renders it."""

from __future__ import annotations

from dataclasses import dataclass, field

TELEGRAM_FILE = "telegram:"  # a media reference that is a channel's file id, not a path


@dataclass(frozen=True)
class Choice:
    label: str
    action: str


@dataclass(frozen=True)
class Reply:
    """One message: text in the parent's language, optional buttons (rows of choices)."""

    text: str
    choices: tuple[tuple[Choice, ...], ...] = field(default=())
    rtl: bool = False
    silent: bool = False  # no sound or vibration: check-ins on a phone others may see
    leave_no_trace: bool = False  # sent after /forget: its receipt may not point to anyone
    media: tuple[str, str] | None = None  # (kind, file relative to the flows folder)
    protect: bool = False  # a parent's words shown to staff: no forwarding or saving
    # "flow:node": the first message of a flow node, which a parent who listens hears first
    # as that node's voice prompt in their language (the service around the engine adds it)
    prompt: str | None = None

    @property
    def all_choices(self) -> list[Choice]:
        return [choice for row in self.choices for choice in row]

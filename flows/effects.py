"""What a flow asks its caller to do; the engine itself changes nothing outside its state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class SetLanguage:
    code: str


@dataclass(frozen=True)
class OpenCase:
    """The parent consented to pass their question on: the handoff request (#5 acts on it)."""

    answers: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False


@dataclass(frozen=True)
class ScheduleFollowUp:
    after: timedelta
    flow: str


@dataclass(frozen=True)
class ScheduleNoResponse:
    """Wake the conversation at `step` after `after` unless the parent answered first."""

    after: timedelta
    step: int


@dataclass(frozen=True)
class ShowedEmergency:
    """Emergency numbers were shown (counted for reports; no identity)."""


@dataclass(frozen=True)
class CheckIn:
    """The parent answered a check-in about `case`: yes, not_yet or stop."""

    answer: str
    case: int | None = None


@dataclass(frozen=True)
class ReferralAnswer:
    """The referral flow: the parent was `asked` whether care started with the partner of
    `referral`, or answered helps, not_yet or stuck."""

    answer: str
    referral: int | None = None


@dataclass(frozen=True)
class ShowPartners:
    """The local organisations of `kind` with their contact details, shown where the step
    stood: after the first `at` of the outputs."""

    kind: str
    at: int = 0


@dataclass(frozen=True)
class Rated:
    """The anonymous satisfaction answer (counted, never linked to the parent)."""

    answer: str


Effect = (
    SetLanguage
    | OpenCase
    | ScheduleFollowUp
    | ScheduleNoResponse
    | ShowedEmergency
    | CheckIn
    | ReferralAnswer
    | ShowPartners
    | Rated
)

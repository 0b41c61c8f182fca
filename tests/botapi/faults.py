"""Injected faults: make chosen calls fail the ways Telegram and networks fail."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .protocol import ApiError

# "drop" closes the connection before the method runs; "drop_answer" runs it, then closes,
# so the bot cannot know that its message went out.
KINDS = frozenset({"429", "500", "502", "403", "400", "delay", "drop", "drop_answer"})


@dataclass
class Fault:
    """One planned failure. `times=None` fails forever; `fired` counts how often it did."""

    kind: str
    method: str | None = None  # None: any method
    times: int | None = 1
    chat_id: int | str | None = None
    retry_after: int = 1
    seconds: float = 1.0
    description: str | None = None
    fired: int = 0

    def __post_init__(self) -> None:
        self.kind = str(self.kind)
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(KINDS)}")

    @property
    def active(self) -> bool:
        return self.times is None or self.fired < self.times

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if not self.active:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)

    def error(self) -> ApiError | None:
        """The error answer this fault gives, or None for "delay" and the drops."""
        if self.kind == "429":
            return ApiError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        if self.kind == "403":
            return ApiError(403, self.description or "Forbidden: bot was blocked by the user")
        if self.kind == "400":
            return ApiError(400, self.description or "Bad Request: injected fault")
        if self.kind == "500":
            return ApiError(500, self.description or "Internal Server Error")
        if self.kind == "502":
            return ApiError(502, self.description or "Bad Gateway")
        return None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultPlan:
    """The faults in force, checked in the order they were added."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def take(self, method: str, params: dict[str, Any]) -> Fault | None:
        """The first matching fault, counted as fired."""
        for fault in self.faults:
            if fault.matches(method, params):
                fault.fired += 1
                return fault
        return None

    def clear(self) -> None:
        self.faults.clear()

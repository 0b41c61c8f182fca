"""What a step sees and changes while the engine enters nodes for one input."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flows.effects import Effect
from flows.flowset import FlowSet
from flows.outputs import Reply
from flows.texts import fill


@dataclass
class StepContext:
    flows: FlowSet
    flow: str
    lang: str
    now: datetime
    results: dict[str, Any]
    outputs: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    jump: tuple[str, str] | None = None  # (flow, node) to continue in, set by start_flow
    ended: bool = False
    trace: list[str] = field(default_factory=list)

    def say(self, context: str, source: str) -> None:
        reply = self.flows.translated_reply(self.lang, context, source)
        self.outputs.append(replace(reply, text=fill(reply.text, self.results)))

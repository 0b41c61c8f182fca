"""`end:` — the conversation is finished; the next message starts afresh."""

from typing import Any

from flows.context import StepContext
from flows.steps import step


@step("end")
def end(ctx: StepContext, args: Any) -> None:
    ctx.ended = True

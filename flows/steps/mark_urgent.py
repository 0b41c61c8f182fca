"""`mark_urgent:` — the case this conversation opens is urgent (the 48-hour path)."""

from typing import Any

from flows.context import StepContext
from flows.steps import step


@step("mark_urgent")
def mark_urgent(ctx: StepContext, args: Any) -> None:
    ctx.results["urgent"] = True

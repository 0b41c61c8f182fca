"""`start_flow: information` — continue in another flow, from its start."""

from typing import Any

from flows.context import StepContext
from flows.steps import step


def _check(args: Any, flows: set[str]) -> str | None:
    if args not in flows:
        return f"'start_flow' names a flow that does not exist: {args!r}"
    return None


@step("start_flow", _check)
def start_flow(ctx: StepContext, name: str) -> None:
    ctx.jump = (name, ctx.flows.flows[name].start)

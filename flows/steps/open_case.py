"""`open_case:` — the parent consented: ask for a vertrouwenspersoon with these answers."""

from typing import Any

from flows.context import StepContext
from flows.effects import OpenCase
from flows.steps import step


@step("open_case")
def open_case(ctx: StepContext, args: Any) -> None:
    urgent = bool(ctx.results.get("urgent")) or bool(isinstance(args, dict) and args.get("urgent"))
    ctx.effects.append(OpenCase(answers=dict(ctx.results), urgent=urgent))

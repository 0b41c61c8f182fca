"""`rate: helpful | somewhat | not_helpful | skipped` — the anonymous satisfaction answer,
counted per week and language only."""

from typing import Any

from flows.context import StepContext
from flows.effects import Rated
from flows.steps import step

ANSWERS = ("helpful", "somewhat", "not_helpful", "skipped")


def _check(args: Any, flows: set[str]) -> str | None:
    if args not in ANSWERS:
        return f"'rate' needs one of {', '.join(ANSWERS)}, not {args!r}"
    return None


@step("rate", _check)
def rate(ctx: StepContext, args: str) -> None:
    ctx.effects.append(Rated(answer=args))

"""`set: {topic: school}` — remember answers the parent gave by choosing."""

from typing import Any

from flows.context import StepContext
from flows.steps import step


def _check(args: Any, flows: set[str]) -> str | None:
    if not isinstance(args, dict) or not args:
        return "'set' needs one or more 'key: value' pairs"
    return None


@step("set", _check)
def set_result(ctx: StepContext, args: dict[str, Any]) -> None:
    ctx.results.update({str(key): value for key, value in args.items()})

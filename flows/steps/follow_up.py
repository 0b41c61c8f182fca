"""`follow_up: {after: 3d, flow: checkin}` — start a flow with the parent later."""

from typing import Any

from flows.context import StepContext
from flows.durations import parse_duration
from flows.effects import ScheduleFollowUp
from flows.steps import step


def _check(args: Any, flows: set[str]) -> str | None:
    if not isinstance(args, dict) or "after" not in args or "flow" not in args:
        return "'follow_up' needs 'after' (like 3d) and 'flow'"
    try:
        parse_duration(args["after"])
    except ValueError as error:
        return f"'follow_up.after' {args['after']!r}: {error}"
    if args["flow"] not in flows:
        return f"'follow_up' names a flow that does not exist: {args['flow']!r}"
    return None


@step("follow_up", _check)
def follow_up(ctx: StepContext, args: dict[str, Any]) -> None:
    ctx.effects.append(ScheduleFollowUp(parse_duration(args["after"]), str(args["flow"])))

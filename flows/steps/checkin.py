"""`checkin: yes | not_yet | stop` — the parent's answer to "has the vertrouwenspersoon been
in touch?", for the case the check-in flow was started about."""

from typing import Any

from flows.context import StepContext
from flows.effects import CheckIn
from flows.steps import step

ANSWERS = ("yes", "not_yet", "stop")


def _check(args: Any, flows: set[str]) -> str | None:
    if args not in ANSWERS:
        return f"'checkin' needs one of {', '.join(ANSWERS)}, not {args!r}"
    return None


@step("checkin", _check)
def checkin(ctx: StepContext, args: str) -> None:
    case = ctx.results.get("case")
    ctx.effects.append(CheckIn(answer=args, case=int(case) if case is not None else None))

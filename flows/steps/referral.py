"""`referral: asked | helps | not_yet | stuck` — the referral flow (#17): `asked` marks the
moment the parent was asked whether care started with the partner; the rest are their
answers, for the referral the flow was started about."""

from typing import Any

from flows.context import StepContext
from flows.effects import ReferralAnswer
from flows.steps import step

ANSWERS = ("asked", "helps", "not_yet", "stuck")


def _check(args: Any, flows: set[str]) -> str | None:
    if args not in ANSWERS:
        return f"'referral' needs one of {', '.join(ANSWERS)}, not {args!r}"
    return None


@step("referral", _check)
def referral(ctx: StepContext, args: str) -> None:
    found = ctx.results.get("referral")
    ctx.effects.append(
        ReferralAnswer(answer=args, referral=int(found) if found is not None else None)
    )

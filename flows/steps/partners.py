"""`partners: KIND` — the local organisations of that kind (cjg, wijkteam, huisarts,
jeugdzorg, school, debt_help, other) with their public contact details, from the
coordinators' map of services, shown where the step stands; nothing when the map has none."""

from typing import Any

from flows.context import StepContext
from flows.effects import ShowPartners
from flows.steps import step

# The kinds of bot.services.coordinator_settings.PARTNER_KINDS (the flows know no settings).
KINDS = ("cjg", "wijkteam", "huisarts", "jeugdzorg", "school", "debt_help", "other")


def _check(args: Any, flows: set[str]) -> str | None:
    if args not in KINDS:
        return f"'partners' needs one of {', '.join(KINDS)}, not {args!r}"
    return None


@step("partners", _check)
def partners(ctx: StepContext, args: str) -> None:
    ctx.effects.append(ShowPartners(kind=args, at=len(ctx.outputs)))

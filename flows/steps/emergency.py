"""`emergency:` — the emergency numbers, at once, in the parent's language."""

from typing import Any

from flows.context import StepContext
from flows.effects import ShowedEmergency
from flows.steps import step
from flows.texts import NP_

CONTEXT = "step:emergency"
# Dutch source; translated in the catalogs like flow texts. The numbers must stay exact.
TEXT = NP_(
    "step:emergency",
    "Is iemand nu in gevaar? Bel meteen:\n"
    "112 – politie en ambulance bij nood\n"
    "Veilig Thuis 0800-2000 – gratis, dag en nacht, bij geweld in huis\n"
    "Kindertelefoon 0800-0432 – gratis, voor kinderen en jongeren\n"
    "113 Zelfmoordpreventie 0800-0113 – gratis, dag en nacht",
)
BUILT_IN = [(CONTEXT, TEXT)]


@step("emergency")
def emergency(ctx: StepContext, args: Any) -> None:
    ctx.outputs.append(ctx.flows.translated_reply(ctx.lang, CONTEXT, TEXT))
    ctx.effects.append(ShowedEmergency())

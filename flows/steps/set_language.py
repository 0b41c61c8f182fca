"""`set_language: ar` — continue in another language (and remember it)."""

from typing import Any

from flows.context import StepContext
from flows.effects import SetLanguage
from flows.steps import step


def _check(args: Any, flows: set[str]) -> str | None:
    if not isinstance(args, str) or not args.isalpha() or not 2 <= len(args) <= 3:
        return "'set_language' needs a language code such as ar or tr"
    return None


@step("set_language", _check)
def set_language(ctx: StepContext, code: str) -> None:
    ctx.lang = code
    ctx.effects.append(SetLanguage(code))

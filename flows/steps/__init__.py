"""Step types: one small module per action, registered by name, each with a test fixture."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flows.context import StepContext


@dataclass(frozen=True)
class StepType:
    name: str
    run: Callable[[StepContext, Any], None]
    # A plain-language problem with the arguments, or None; gets the names of all flows.
    check: Callable[[Any, set[str]], str | None]


STEPS: dict[str, StepType] = {}


def step(name: str, check: Callable[[Any, set[str]], str | None] = lambda args, flows: None):
    """Register the decorated function as the step type `name`."""

    def register(run: Callable[[StepContext, Any], None]) -> Callable[[StepContext, Any], None]:
        if name in STEPS:
            raise ValueError(f"step type {name!r} registered twice")
        STEPS[name] = StepType(name, run, check)
        return run

    return register


def load_all() -> dict[str, StepType]:
    """Import every step module so that each registers itself."""
    from flows.steps import (  # noqa: F401
        checkin,
        emergency,
        end,
        follow_up,
        mark_urgent,
        open_case,
        partners,
        rate,
        referral,
        set_language,
        set_result,
        start_flow,
    )

    return STEPS

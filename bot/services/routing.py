"""Who gets a case: filter the vertrouwenspersonen who can take it, then rank them.

Filter: active, available, speaks the case's language, below capacity, and of the gender the
parent asked for (only when they asked). Rank: topic match, then fewest open cases, then the
longest since their last offer. Pure: the caller stores the reasons in the case history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

GENDERS = ("f", "m")


@dataclass(frozen=True)
class Candidate:
    """A VP as routing sees them: no names, only what decides."""

    id: int
    languages: frozenset[str]
    gender: str
    topics: frozenset[str]
    capacity: int
    open_cases: int
    active: bool = True
    available: bool = True
    last_offer_at: datetime | None = None


@dataclass(frozen=True)
class Needs:
    language: str
    topic: str | None = None
    gender: str | None = None  # "f" or "m" when the parent asked; anything else: no preference


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    reason: str


@dataclass(frozen=True)
class Routing:
    ranked: list[Ranked]
    excluded: list[str]

    @property
    def nobody(self) -> bool:
        return not self.ranked


def _excluded(vp: Candidate, needs: Needs, offered: set[int]) -> str | None:
    if vp.id in offered:
        return "already offered"
    if not vp.active:
        return "not active"
    if not vp.available:
        return "away"
    if needs.language not in vp.languages:
        return f"does not speak {needs.language}"
    if vp.open_cases >= vp.capacity:
        return f"full ({vp.open_cases} of {vp.capacity})"
    if needs.gender in GENDERS and vp.gender != needs.gender:
        return f"the parent asked for {'a woman' if needs.gender == 'f' else 'a man'}"
    return None


def route(needs: Needs, candidates: list[Candidate], offered: set[int] | None = None) -> Routing:
    """Those who can take the case, best first, each with the reason; and who could not."""
    offered = offered or set()
    fit, excluded = [], []
    for vp in candidates:
        why_not = _excluded(vp, needs, offered)
        if why_not:
            excluded.append(f"VP {vp.id}: {why_not}")
        else:
            fit.append(vp)

    def order(vp: Candidate) -> tuple[bool, int, float]:
        topic_match = needs.topic is not None and needs.topic in vp.topics
        return (not topic_match, vp.open_cases, _since(vp))

    ranked = []
    for vp in sorted(fit, key=order):
        topic = "topic match" if needs.topic in vp.topics else "no topic match"
        last = vp.last_offer_at.isoformat(timespec="minutes") if vp.last_offer_at else "never"
        ranked.append(
            Ranked(
                vp,
                f"VP {vp.id}: speaks {needs.language}, {topic}, "
                f"{vp.open_cases} of {vp.capacity} cases, last offer {last}",
            )
        )
    return Routing(ranked, excluded)


def _since(vp: Candidate) -> float:
    """Sorts the longest since the last offer first; never offered before anyone."""
    return vp.last_offer_at.timestamp() if vp.last_offer_at else float("-inf")

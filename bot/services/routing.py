"""Who gets a case: filter the vertrouwenspersonen who can take it, then rank them.

Filter: active, available, speaks the case's language, below capacity, and of the gender the
parent asked for (only when they asked). Rank: topic match, then the gender the coordinator
prefers for the topic (settings.yaml, matching.preferred_gender; only when the parent was not
asked or skipped, since their own answer, "no preference" too, overrides it), then fewest open
cases, then the longest since their last offer. The topic comes before the preferred gender: a
VP trained for the topic helps more than one of the preferred gender who is not. Pure: the
caller stores the reasons in the case history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

GENDERS = ("f", "m")
NO_PREFERENCE = "-"  # the parent answered "it does not matter" (Case.gender_pref)
# Why a VP was passed over (Reason.code); "fits" is the reason of one who was ranked.
SKIPPED = ("already_offered", "inactive", "away", "language", "full", "gender")


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
    # The coordinator's preferred gender for the topic: ranks first, never filters out.
    topic_gender: str | None = None

    @property
    def leaning(self) -> str | None:
        """The gender ranked first: the topic's, unless the parent gave any answer at all."""
        return self.topic_gender if self.gender is None else None


Value = str | int | bool | None


@dataclass(frozen=True)
class Reason:
    """Why a VP was skipped or chosen: a code and plain values, stored in the case history
    and put into words for each reader by bot.services.staff_words."""

    vp: int
    code: str
    values: tuple[tuple[str, Value], ...] = ()

    def detail(self) -> dict[str, Value]:
        return {"vp": self.vp, "why": self.code, **dict(self.values)}


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    reason: Reason


@dataclass(frozen=True)
class Routing:
    ranked: list[Ranked]
    excluded: list[Reason]

    @property
    def nobody(self) -> bool:
        return not self.ranked


def _excluded(vp: Candidate, needs: Needs, offered: set[int]) -> Reason | None:
    if vp.id in offered:
        return Reason(vp.id, "already_offered")
    if not vp.active:
        return Reason(vp.id, "inactive")
    if not vp.available:
        return Reason(vp.id, "away")
    if needs.language not in vp.languages:
        return Reason(vp.id, "language", (("language", needs.language),))
    if vp.open_cases >= vp.capacity:
        return Reason(vp.id, "full", (("open", vp.open_cases), ("capacity", vp.capacity)))
    if needs.gender in GENDERS and vp.gender != needs.gender:
        return Reason(vp.id, "gender", (("gender", needs.gender),))
    return None


def route(needs: Needs, candidates: list[Candidate], offered: set[int] | None = None) -> Routing:
    """Those who can take the case, best first, each with the reason; and who could not."""
    offered = offered or set()
    fit, excluded = [], []
    for vp in candidates:
        why_not = _excluded(vp, needs, offered)
        if why_not:
            excluded.append(why_not)
        else:
            fit.append(vp)

    def order(vp: Candidate) -> tuple[bool, bool, int, float]:
        topic_match = needs.topic is not None and needs.topic in vp.topics
        leaning_match = needs.leaning is not None and vp.gender == needs.leaning
        return (not topic_match, not leaning_match, vp.open_cases, _since(vp))

    ranked = []
    for vp in sorted(fit, key=order):
        last = vp.last_offer_at.isoformat(timespec="minutes") if vp.last_offer_at else None
        values: tuple[tuple[str, Value], ...] = (
            ("language", needs.language),
            ("topic_match", needs.topic in vp.topics),
            ("open", vp.open_cases),
            ("capacity", vp.capacity),
            ("last_offer", last),
        )
        ranked.append(Ranked(vp, Reason(vp.id, "fits", values)))
    return Routing(ranked, excluded)


def _since(vp: Candidate) -> float:
    """Sorts the longest since the last offer first; never offered before anyone."""
    return vp.last_offer_at.timestamp() if vp.last_offer_at else float("-inf")

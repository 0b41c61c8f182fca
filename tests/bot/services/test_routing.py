"""Routing, by name: who can take a case, and in which order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.routing import NO_PREFERENCE, Candidate, Needs, Reason, route

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


def vp(
    id: int,
    languages: str = "nl,ar",
    gender: str = "f",
    topics: str = "",
    capacity: int = 3,
    open_cases: int = 0,
    **extra: object,
) -> Candidate:
    return Candidate(
        id,
        frozenset(languages.split(",")),
        gender,
        frozenset(t for t in topics.split(",") if t),
        capacity,
        open_cases,
        **extra,  # type: ignore[arg-type]
    )


def ids(needs: Needs, *vps: Candidate, offered: set[int] | None = None) -> list[int]:
    return [r.candidate.id for r in route(needs, list(vps), offered).ranked]


def test_language_filter() -> None:
    assert ids(Needs("tr"), vp(1, "nl,ar"), vp(2, "nl,tr")) == [2]
    [why] = route(Needs("tr"), [vp(1, "nl,ar")]).excluded
    assert why.detail() == {"vp": 1, "why": "language", "language": "tr"}


def test_gender_only_when_asked() -> None:
    woman, man = vp(1, gender="f"), vp(2, gender="m")
    assert set(ids(Needs("ar"), woman, man)) == {1, 2}
    assert set(ids(Needs("ar", gender="any"), woman, man)) == {1, 2}
    assert ids(Needs("ar", gender="m"), woman, man) == [2]
    assert ids(Needs("ar", gender="f"), woman, man) == [1]


def test_capacity_full() -> None:
    routing = route(Needs("ar"), [vp(1, capacity=2, open_cases=2), vp(2, capacity=2, open_cases=1)])
    assert [r.candidate.id for r in routing.ranked] == [2]
    assert Reason(1, "full", (("open", 2), ("capacity", 2))) in routing.excluded


def test_away_and_inactive() -> None:
    routing = route(Needs("ar"), [vp(1, available=False), vp(2, active=False), vp(3)])
    assert [r.candidate.id for r in routing.ranked] == [3]
    assert routing.excluded == [Reason(1, "away"), Reason(2, "inactive")]


def test_topic_ranking() -> None:
    assert ids(
        Needs("ar", topic="money"), vp(1, topics="school"), vp(2, topics="money,school")
    ) == [2, 1]


def test_load_ranking() -> None:
    assert ids(Needs("ar"), vp(1, open_cases=2), vp(2, open_cases=0), vp(3, open_cases=1)) == [
        2,
        3,
        1,
    ]
    # a topic match counts before load
    assert ids(
        Needs("ar", topic="housing"), vp(1, open_cases=2, topics="housing"), vp(2, open_cases=0)
    ) == [1, 2]


def test_longest_since_the_last_offer_goes_first() -> None:
    recent = vp(1, last_offer_at=NOW - timedelta(hours=1))
    long_ago = vp(2, last_offer_at=NOW - timedelta(days=2))
    never = vp(3)
    assert ids(Needs("ar"), recent, long_ago, never) == [3, 2, 1]


def test_nobody_matches() -> None:
    routing = route(Needs("ti"), [vp(1), vp(2, available=False)])
    assert routing.nobody and len(routing.excluded) == 2


def test_decline_chain_skips_who_was_asked() -> None:
    team = [vp(1), vp(2, open_cases=1), vp(3, open_cases=2)]
    assert ids(Needs("ar"), *team) == [1, 2, 3]
    assert ids(Needs("ar"), *team, offered={1}) == [2, 3]
    assert ids(Needs("ar"), *team, offered={1, 2, 3}) == []


def test_reasons_say_why_and_name_no_one() -> None:
    [ranked] = route(Needs("ar", topic="school"), [vp(7, topics="school", open_cases=1)]).ranked
    assert ranked.reason.detail() == {
        "vp": 7,
        "why": "fits",
        "language": "ar",
        "topic_match": True,
        "open": 1,
        "capacity": 3,
        "last_offer": None,
    }


def test_the_topics_preferred_gender_ranks_first_but_filters_nobody() -> None:
    man, busy_woman = vp(1, gender="m"), vp(2, gender="f", open_cases=2)
    assert ids(Needs("ar", "safety"), man, busy_woman) == [1, 2]  # by load
    assert ids(Needs("ar", "safety", topic_gender="f"), man, busy_woman) == [2, 1]
    assert ids(Needs("ar", "safety", topic_gender="f"), man) == [1]  # never a filter


def test_the_parents_own_answer_overrides_the_topics_preferred_gender() -> None:
    man, busy_woman = vp(1, gender="m"), vp(2, gender="f", open_cases=2)
    # "no preference" (NO_PREFERENCE, or any other answer): the topic's gender is ignored
    for no_preference in (NO_PREFERENCE, "any"):
        needs = Needs("ar", "safety", gender=no_preference, topic_gender="f")
        assert needs.leaning is None and ids(needs, man, busy_woman) == [1, 2]
    assert ids(Needs("ar", "safety", gender="m", topic_gender="f"), man, busy_woman) == [1]
    assert ids(Needs("ar", "safety", gender="f", topic_gender="m"), man, busy_woman) == [2]


def test_a_topic_match_counts_before_the_preferred_gender() -> None:
    trained_man, woman = vp(1, gender="m", topics="safety", open_cases=2), vp(2, gender="f")
    needs = Needs("ar", "safety", topic_gender="f")
    assert ids(needs, woman, trained_man) == [1, 2]
    # among those of the preferred gender, load and the last offer decide as before
    women = [vp(3, gender="f", open_cases=1), vp(4, gender="f"), vp(5, gender="m")]
    assert ids(needs, *women) == [4, 3, 5]


def test_the_preferred_gender_never_brings_in_another_language() -> None:
    needs = Needs("uk", "safety", topic_gender="f")
    assert ids(needs, vp(1, "nl,ar", gender="f"), vp(2, "uk", gender="m")) == [2]

"""What the flows ask of a parent, measured through the real engine: the words before the
first button, the returning greeting, the taps to a vertrouwenspersoon, and the share of
nodes a parent who listens hears. `flows measure` prints it; `flows check` warns with it."""

from __future__ import annotations

from collections import deque
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime

from flows import engine
from flows.effects import OpenCase
from flows.flowset import FlowSet
from flows.inputs import Input, Pick, Text
from flows.limits import (
    MAX_FIRST_SCREEN_WORDS,
    MAX_RETURNING_WORDS,
    MAX_TAPS_TO_HANDOFF,
    WORD_LIMITED_LANGUAGES,
)
from flows.model import Ask, Node
from flows.outputs import Reply

WELCOME = "welcome"
# The engine needs a time; no route depends on it (time-outs are not a parent's answer).
_NOW = datetime(2026, 1, 5, 10, tzinfo=UTC)
MAX_SEARCH_STATES = 2000  # (flow, node)s a search visits at most: far above any real flow set
# Typed answers tried at a question that takes text; each one that passes leads somewhere.
_SAMPLE_ANSWERS = ("Mijn vraag", "ja", "nee", "1")

Recorded = AbstractSet[tuple[str, str, str]]  # (flow, node, language) of recorded voice prompts


@dataclass(frozen=True)
class Reading:
    """What a parent reads before they can act: whitespace-separated words and messages."""

    words: int
    messages: int


@dataclass(frozen=True)
class Measures:
    language: str
    first: Reading  # from the welcome's start up to and including the first buttons
    returning: Reading  # from the welcome's `returning` node (its start when it has none)
    # Fewest button presses from the menu to a question passed on (None: no way), and the
    # "flow:node" of each; apart from them the same to an urgent case. Apart, because the
    # danger button's two taps would otherwise hide how long the ordinary way is.
    taps: int | None
    path: tuple[str, ...]
    urgent_taps: int | None
    urgent_path: tuple[str, ...]
    voiced: int  # nodes with texts that have a voice prompt in this language
    with_texts: int  # nodes with texts

    @property
    def voice_share(self) -> float:
        return self.voiced / self.with_texts if self.with_texts else 0.0


def measure(flows: FlowSet, lang: str, recorded: Recorded = frozenset()) -> Measures:
    """Every figure for one language; the flow set must hold a (checked) welcome flow."""
    welcome = flows.flows[WELCOME]
    first = engine.begin(flows, WELCOME, lang, _NOW)
    back = engine.begin(flows, WELCOME, lang, _NOW, node=welcome.returning or welcome.start)
    taps, path = taps_to_handoff(flows, lang, first)
    urgent_taps, urgent_path = taps_to_handoff(flows, lang, first, urgent=True)
    voiced, with_texts = voice_coverage(flows, recorded, lang)
    return Measures(
        lang,
        reading(first.outputs),
        reading(back.outputs),
        taps,
        path,
        urgent_taps,
        urgent_path,
        voiced,
        with_texts,
    )


def reading(outputs: list[Reply]) -> Reading:
    """What `begin` says: the engine stops at the first wait, so this is everything up to and
    including the first message with buttons (or the first question that wants typing)."""
    return Reading(sum(len(reply.text.split()) for reply in outputs), len(outputs))


def taps_to_handoff(
    flows: FlowSet, lang: str, start: engine.Outcome, urgent: bool = False
) -> tuple[int | None, tuple[str, ...]]:
    """The fewest button presses from `start`'s wait to a case opened (urgent or not), and
    the nodes they are pressed at.

    A breadth-first search in which a button costs a tap and a typed answer none (0-1 BFS:
    the cheapest is always taken first). A state is (flow, node, marked urgent): no route
    depends on the other answers given so far."""
    if _opens(start, urgent):
        return 0, ()
    todo: deque[tuple[int, engine.Conversation | None, tuple[str, ...]]]
    todo = deque([(0, start.state, ())])
    seen: set[tuple[str, str, bool]] = set()
    while todo and len(seen) <= MAX_SEARCH_STATES:
        taps, state, path = todo.popleft()
        if state is None:  # a case was opened: nothing left in the queue is cheaper
            return taps, path
        key = (state.flow, state.node, bool(state.results.get("urgent")))
        if state.finished or key in seen:
            continue
        seen.add(key)
        here = f"{state.flow}:{state.node}"
        for incoming in _answers(flows.flows[state.flow].nodes[state.node]):
            outcome = engine.advance(flows, state, incoming, lang, _NOW)
            goal = None if _opens(outcome, urgent) else outcome.state
            if isinstance(incoming, Pick):
                todo.append((taps + 1, goal, (*path, here)))
            else:
                todo.appendleft((taps, goal, path))
    return None, ()


def _opens(outcome: engine.Outcome, urgent: bool) -> bool:
    return any(isinstance(e, OpenCase) and e.urgent == urgent for e in outcome.effects)


def _answers(node: Node) -> list[Input]:
    """What a parent can answer at `node`: typed answers first (free), then each button."""
    typed = [Text(text) for text in _typed(node.ask)] if node.ask is not None else []
    return [*typed, *(Pick(str(index)) for index in range(len(node.choose)))]


def _typed(ask: Ask) -> list[str]:
    """Typed answers to try: one of each kind (yes and no both), and the lowest a number or
    length test takes. A `pattern` none of them matches is passed by its buttons only."""
    samples = list(_SAMPLE_ANSWERS)
    if ask.test == "number" and isinstance(ask.arg, list) and isinstance(ask.arg[0], int):
        samples.append(str(ask.arg[0]))
    if ask.test == "length" and isinstance(ask.arg, list) and isinstance(ask.arg[0], int):
        samples.append("a" * max(ask.arg[0], 1))
    return samples


def voice_coverage(flows: FlowSet, recorded: Recorded, lang: str) -> tuple[int, int]:
    """(nodes with texts that have a voice prompt in `lang`, nodes with texts): a prompt is
    recorded with /record or named in the flow file for `lang` itself (never a fallback).
    The same count as bot.services.voice_prompts.coverage, kept here so flows/ stays pure."""
    voiced = with_texts = 0
    for flow in flows.flows.values():
        for node in flow.nodes.values():
            if node.say:
                with_texts += 1
                spoken = node.media is not None and node.media.spoken(lang) is not None
                voiced += spoken or (flow.name, node.id, lang) in recorded
    return voiced, with_texts


def over_limits(measures: Measures) -> list[str]:
    """What exceeds a limit, in words an organisation can act on; [] when all is well."""
    out = []
    if measures.language in WORD_LIMITED_LANGUAGES:
        if measures.first.words > MAX_FIRST_SCREEN_WORDS:
            out.append(
                f"the first screen has {measures.first.words} words in {measures.language}; "
                f"at most {MAX_FIRST_SCREEN_WORDS} before the first buttons"
            )
        if measures.returning.words > MAX_RETURNING_WORDS:
            out.append(
                f"a returning parent reads {measures.returning.words} words in "
                f"{measures.language} before the menu; at most {MAX_RETURNING_WORDS}"
            )
    if measures.taps is None:
        out.append(f"no way from the menu to pass a question on in {measures.language}")
    ways = (
        (measures.taps, measures.path, "a question"),
        (measures.urgent_taps, measures.urgent_path, "an urgent case"),
    )
    for taps, path, what in ways:
        if taps is not None and taps > MAX_TAPS_TO_HANDOFF:
            where = f", at {' → '.join(path)}" if path else ""
            out.append(
                f"{taps} taps from the menu to pass {what} on in {measures.language}; "
                f"at most {MAX_TAPS_TO_HANDOFF}{where}"
            )
    return out

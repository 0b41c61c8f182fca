"""The flow engine: (flows, state, input, time) → outputs, effects, new state. Nothing else.

No Telegram, no database: the caller stores the state and carries out the effects.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flows.answers import TESTS, label_key
from flows.context import StepContext
from flows.effects import Effect, ScheduleNoResponse
from flows.flowset import FlowSet
from flows.inputs import Input, Media, Pick, Text, Timeout, number
from flows.limits import MAX_STEPS_PER_INPUT
from flows.model import Node
from flows.outputs import Choice, Reply
from flows.steps import load_all
from flows.texts import fill

STEPS = load_all()
# Answers a parent gave before their question was asked ("Is this your question?" — yes):
# {save name: value}. An ask node whose answer is here is passed without being asked.
PREFILLED = "_prefilled"


@dataclass(frozen=True)
class Conversation:
    """Where a parent is: flow, node and answers. `step` counts waits, naming each question."""

    version: str
    flow: str
    node: str
    step: int = 0
    results: dict[str, Any] = field(default_factory=dict)
    finished: bool = False


@dataclass(frozen=True)
class Outcome:
    outputs: list[Reply]
    effects: list[Effect]
    state: Conversation
    # "flow:node" entered and "flow:node>exit" taken, in order: for tests and debugging
    trace: tuple[str, ...] = ()


def begin(
    flows: FlowSet,
    flow: str,
    lang: str,
    now: datetime,
    results: dict[str, Any] | None = None,
    node: str | None = None,
    step: int = 0,
) -> Outcome:
    """Start `flow` from its first node (or `node`); `step` continues a parent's count."""
    first = node or flows.flows[flow].start
    state = Conversation(flows.version, flow, first, step, dict(results or {}))
    ctx = StepContext(flows, flow, lang, now, dict(state.results))
    return _enter(ctx, state, flow, first)


def advance(
    flows: FlowSet, state: Conversation, incoming: Input, lang: str, now: datetime
) -> Outcome:
    """Answer the question the parent is at; anything unexpected takes the node's 'other'."""
    if state.finished:
        return Outcome([], [], state)
    node = flows.flows[state.flow].nodes[state.node]
    if isinstance(incoming, Timeout) and (incoming.step != state.step or node.no_response is None):
        return Outcome([], [], state)  # answered meanwhile: the time-out is void
    ctx = StepContext(flows, state.flow, lang, now, dict(state.results))
    exit_name, target = _route(ctx, node, state, incoming)
    ctx.trace.append(f"{state.flow}:{node.id}>{exit_name}")
    if ctx.jump is not None:
        return _enter(ctx, state, *ctx.jump)
    if target is None:
        return Outcome(show(flows, state, lang), [], state, tuple(ctx.trace))  # ask again
    return _enter(ctx, state, state.flow, target)


def show(flows: FlowSet, state: Conversation, lang: str) -> list[Reply]:
    """The current question again (for an old keyboard, or an answer that does not fit)."""
    if state.finished:
        return []
    node = flows.flows[state.flow].nodes[state.node]
    replies = _node_messages(flows, state.flow, node, lang, state.step, state.results)
    if replies:
        replies[0] = replace(replies[0], prompt=f"{state.flow}:{node.id}")
    return replies


def is_choice(flows: FlowSet, state: Conversation, text: str, lang: str) -> bool:
    """Whether typed `text` names one of the current node's buttons (in `lang` or Dutch)."""
    node = flows.flows[state.flow].nodes[state.node]
    return _typed_choice(flows, state.flow, node, text, lang) is not None


def _typed_choice(flows: FlowSet, flow: str, node: Node, text: str, lang: str) -> int | None:
    """The button whose label (in `lang` or Dutch, emoji or not) the parent typed."""
    typed = label_key(text)
    for index, option in enumerate(node.choose):
        label = flows.text(lang, f"{flow}:{node.id}:choose.{index}", option.label)
        if typed in (label_key(label), label_key(option.label)):
            return index
    return None


def _route(
    ctx: StepContext, node: Node, state: Conversation, incoming: Input
) -> tuple[str, str | None]:
    """The exit the input takes, and where it leads."""
    match incoming:
        case Pick(action) if node.choose:
            index = number(action)
            if index is None or index >= len(node.choose):
                return "invalid", None
            return f"choose[{index}]", _choose(ctx, node, index)
        case Text(text) if node.choose:
            index = _typed_choice(ctx.flows, state.flow, node, text, ctx.lang)
            if index is not None:
                return f"choose[{index}]", _choose(ctx, node, index)
            if node.ask is not None:  # the buttons were a shortcut (skip); text answers
                return _answer(ctx, node, text)
        case Text(text) if node.ask is not None:
            return _answer(ctx, node, text)
        case Media(kind, ref) if node.ask is not None and node.ask.voice and kind == "voice":
            if node.ask.save:
                ctx.results[node.ask.save] = {"voice": ref}
            return "ask.goto", node.ask.goto
        case Timeout() if node.no_response is not None:
            return "no_response", node.no_response.goto
    return "other", node.other


def _answer(ctx: StepContext, node: Node, text: str) -> tuple[str, str | None]:
    assert node.ask is not None
    accepted, value = TESTS[node.ask.test](text, node.ask.arg)
    if not accepted:
        return "other", node.other
    if node.ask.save:
        ctx.results[node.ask.save] = value
    if node.ask.test == "yes_no" and value is False:
        return "ask.no", node.ask.no
    return "ask.goto", node.ask.goto


def _choose(ctx: StepContext, node: Node, index: int) -> str | None:
    option = node.choose[index]
    for action in option.actions:
        STEPS[action.kind].run(ctx, action.args)
    return option.goto


def _enter(ctx: StepContext, state: Conversation, flow: str, target: str) -> Outcome:
    """Enter nodes until one waits or the conversation ends."""
    step = state.step
    for _ in range(MAX_STEPS_PER_INPUT):
        ctx.jump = None
        node = ctx.flows.flows[flow].nodes[target]
        ctx.flow = flow
        ctx.trace.append(f"{flow}:{node.id}")
        if (given := _prefilled(ctx, node)) is not None:
            ctx.trace.append(f"{flow}:{node.id}>prefilled")
            target = given
            continue
        if node.media is not None and node.media.kind != "voice":  # voice: see Reply.prompt
            ctx.outputs.append(
                Reply(
                    text="",
                    rtl=ctx.lang in ctx.flows.rtl,
                    media=(node.media.kind, node.media.file_for(ctx.lang)),
                )
            )
        first = len(ctx.outputs)
        for i, text in enumerate(node.say[:-1] if node.waits else node.say):
            ctx.say(f"{flow}:{node.id}:say.{i}", text)
        _mark_prompt(ctx.outputs, first, f"{flow}:{node.id}")
        for action in node.actions:
            STEPS[action.kind].run(ctx, action.args)
        if ctx.jump is not None:
            flow, target = ctx.jump
            continue
        if node.waits:
            step += 1
            last = len(ctx.outputs)
            ctx.outputs += _node_messages(
                ctx.flows, flow, node, ctx.lang, step, ctx.results, last_only=True
            )
            if last == first:  # the node's only message
                _mark_prompt(ctx.outputs, last, f"{flow}:{node.id}")
            if node.no_response is not None:
                ctx.effects.append(ScheduleNoResponse(node.no_response.after, step))
            new = Conversation(state.version, flow, node.id, step, ctx.results)
            return Outcome(ctx.outputs, ctx.effects, new, tuple(ctx.trace))
        if ctx.ended or node.next is None:
            break
        ctx.trace.append(f"{flow}:{node.id}>next")
        target = node.next
    done = Conversation(state.version, flow, target, step, ctx.results, finished=True)
    return Outcome(ctx.outputs, ctx.effects, done, tuple(ctx.trace))


def _mark_prompt(outputs: list[Reply], index: int, prompt: str) -> None:
    if index < len(outputs):
        outputs[index] = replace(outputs[index], prompt=prompt)


def _prefilled(ctx: StepContext, node: Node) -> str | None:
    """Where an ask node leads when its answer was given before it was asked; None if not."""
    given = ctx.results.get(PREFILLED)
    if node.ask is None or node.ask.save is None or not isinstance(given, dict):
        return None
    if node.ask.save not in given or node.ask.goto is None:
        return None
    ctx.results[node.ask.save] = given.pop(node.ask.save)
    if not given:
        del ctx.results[PREFILLED]
    return node.ask.goto


def _node_messages(
    flows: FlowSet,
    flow: str,
    node: Node,
    lang: str,
    step: int,
    results: dict[str, Any],
    last_only: bool = False,
) -> list[Reply]:
    """A waiting node's messages; the last carries the buttons, named by step and index."""
    texts = list(enumerate(node.say))
    if last_only:
        texts = texts[-1:]
    replies = [flows.translated_reply(lang, f"{flow}:{node.id}:say.{i}", t) for i, t in texts]
    replies = [replace(reply, text=fill(reply.text, results)) for reply in replies]
    if node.choose and replies:
        choices = tuple(
            (Choice(flows.text(lang, f"{flow}:{node.id}:choose.{i}", option.label), f"{step}:{i}"),)
            for i, option in enumerate(node.choose)
        )
        replies[-1] = replace(replies[-1], choices=choices)
    return replies

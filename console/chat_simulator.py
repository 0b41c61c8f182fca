"""The flow page's chat simulator: a draft run through the real engine and nothing else (no
Telegram, no database), in any language. It keeps no state: the page sends back everything
the parent did so far, and the conversation is replayed from `begin` on every press.

What the engine asks its caller to do (pass the question on, plan a check-in) is not done;
it is said in plain words, in the coordinator's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services import staff_words
from console.words import Words
from flows.effects import (
    CheckIn,
    Effect,
    OpenCase,
    Rated,
    ScheduleFollowUp,
    ScheduleNoResponse,
    SetLanguage,
    ShowedEmergency,
)
from flows.engine import Conversation, Outcome, advance, begin
from flows.flowset import FlowSet
from flows.inputs import Input, Media, Pick, Text, Timeout
from flows.limits import MAX_ANSWER_LENGTH
from flows.model import Node
from flows.outputs import Choice, Reply

MAX_SAID = 40  # a conversation's presses and answers the page carries; then start again
KINDS = ("pick", "text", "voice", "wait")
SIMULATED_VOICE = "simulator"  # a voice message's file reference: there is no file


@dataclass(frozen=True)
class Said:
    """One thing the parent did, as the page keeps it in a hidden field: "pick:2",
    "text:…", "voice:" or "wait:"."""

    kind: str
    value: str = ""

    @property
    def field(self) -> str:
        return f"{self.kind}:{self.value}"


def read_said(fields: list[str]) -> list[Said]:
    """The hidden fields back; anything that is not one of ours is left out."""
    said = []
    for field in fields[:MAX_SAID]:
        kind, _, value = field.partition(":")
        button = kind == "pick" and value.isascii() and value.isdigit() and len(value) <= 2
        if button or (kind == "text" and 0 < len(value) <= MAX_ANSWER_LENGTH):
            said.append(Said(kind, value))
        elif kind in ("voice", "wait"):
            said.append(Said(kind))
    return said


@dataclass(frozen=True)
class Turn:
    """What the parent did (nothing for the start), and what the bot did in return."""

    said: str  # in words: the button's label, the text, "a voice message"
    replies: list[Reply]
    effects: list[str]  # in the coordinator's words


@dataclass(frozen=True)
class Chat:
    turns: list[Turn]
    lang: str  # the parent's language now (a flow may change it)
    rtl: bool  # of that language
    node: Node | None  # where the conversation waits; None when it has ended
    buttons: list[Choice]  # the keyboard the parent can press now
    keyboard_at: tuple[int, int] | None  # (turn, reply) that carries it

    @property
    def ended(self) -> bool:
        return self.node is None


def simulate(
    flows: FlowSet, flow: str, lang: str, said: list[Said], now: datetime, words: Words
) -> Chat:
    """The conversation from the start of `flow`, with everything the parent did replayed."""
    outcome = begin(flows, flow, lang, now)
    lang = _language(outcome, lang)
    turns = [Turn("", outcome.outputs, [effect_words(words, e) for e in outcome.effects])]
    state = outcome.state
    for step in said:
        if state.finished:
            break
        buttons = _keyboard(turns[-1].replies)[1]
        incoming, shown = _input(flows, state, step, buttons, words)
        outcome = advance(flows, state, incoming, lang, now)
        lang = _language(outcome, lang)
        effects = [effect_words(words, e) for e in outcome.effects]
        turns.append(Turn(shown, outcome.outputs, effects))
        state = outcome.state
    rtl = lang in flows.rtl
    if state.finished:
        return Chat(turns, lang, rtl, None, [], None)
    at, buttons = _keyboard(turns[-1].replies)
    node = flows.flows[state.flow].nodes[state.node]
    return Chat(turns, lang, rtl, node, buttons, (len(turns) - 1, at) if buttons else None)


def _language(outcome: Outcome, lang: str) -> str:
    for effect in outcome.effects:
        if isinstance(effect, SetLanguage):
            lang = effect.code
    return lang


def _keyboard(replies: list[Reply]) -> tuple[int, list[Choice]]:
    """The buttons a parent can press after these messages: those of the last message that
    has some (an older keyboard is out of date, as in Telegram), and that message's place."""
    for at in range(len(replies) - 1, -1, -1):
        if replies[at].choices:
            return at, replies[at].all_choices
    return -1, []


def _input(
    flows: FlowSet, state: Conversation, said: Said, buttons: list[Choice], words: Words
) -> tuple[Input, str]:
    """The engine's input for what the parent did, and how the chat shows it."""
    if said.kind == "pick":
        index = int(said.value)
        if index >= len(buttons):  # the draft changed under the conversation
            return Pick(""), "?"
        button = buttons[index]
        return Pick(button.action.rpartition(":")[2]), button.label
    if said.kind == "text":
        return Text(said.value), said.value
    if said.kind == "voice":
        return Media("voice", SIMULATED_VOICE), words.gettext("(a voice message)")
    node = flows.flows[state.flow].nodes[state.node]
    waited = words.span(node.no_response.after) if node.no_response else ""
    shown = words.gettext("(no answer for {time})").format(time=waited) if waited else ""
    return Timeout(state.step), shown or words.gettext("(no answer)")


def effect_words(words: Words, effect: Effect) -> str:
    """What the bot would do here, in plain words."""
    _ = words.gettext
    if isinstance(effect, OpenCase):
        if effect.urgent:
            return _(
                "Here the question is passed on as urgent: a vertrouwenspersoon is sought at "
                "once, and must be in contact within 48 hours."
            )
        return _("Here the question is passed to a vertrouwenspersoon.")
    if isinstance(effect, ScheduleFollowUp):
        return _("Here a follow-up is planned: the flow {flow} starts after {time}.").format(
            flow=effect.flow, time=words.span(effect.after)
        )
    if isinstance(effect, ScheduleNoResponse):
        return _(
            "If the parent does not answer within {time}, the flow goes on by its “no answer” way."
        ).format(time=words.span(effect.after))
    if isinstance(effect, SetLanguage):
        language = staff_words.language(words.shared, effect.code)
        return _("Here the parent's language becomes {language}.").format(language=language)
    if isinstance(effect, ShowedEmergency):
        return _("The emergency numbers were shown (counted for the reports, without a name).")
    if isinstance(effect, CheckIn):
        answers = {
            "yes": _("the vertrouwenspersoon has been in touch"),
            "not_yet": _("not yet: the vertrouwenspersoon gets a reminder"),
            "stop": _("stop: the question is closed"),
        }
        answer = answers.get(effect.answer, effect.answer)
        return _("The check-in answer is recorded: {answer}.").format(answer=answer)
    if isinstance(effect, Rated):
        ratings = {
            "helpful": _("helpful"),
            "somewhat": _("somewhat helpful"),
            "not_helpful": _("not helpful"),
            "skipped": _("no answer"),
        }
        answer = ratings.get(effect.answer, effect.answer)
        return _("The anonymous rating is counted: {answer}.").format(answer=answer)
    return _("Here the bot does something the simulator does not show.")

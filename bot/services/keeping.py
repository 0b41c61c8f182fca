"""Nothing a parent says is lost: words typed while buttons wait, or when nothing waits for
them, are kept as their question, or added to it, and the parent is told so.

The flow engine stays pure: what is kept lives in the conversation's sealed results, and a
kept question reaches the ask flow as an answer given before it was asked
(`engine.PREFILLED`), so the question node is passed without asking again."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.i18n import Translator
from bot.services.cases import ADDED_TO_QUESTION as ADDED  # shown to the VP with the question
from bot.services.conversations import KEPT, MENU, Conversations
from flows import engine
from flows.inputs import Media, Text
from flows.model import Flow
from flows.outputs import Choice, Reply
from storage import Parent, UnitOfWork

QUESTION = "question"  # what the ask flow saves the parent's question as
ASK_FLOW = "ask"
KEEP_ACTION = "kept:"
KEEP_YES, KEEP_NO = KEEP_ACTION + "yes", KEEP_ACTION + "no"
PREVIEW = 120  # characters of a kept text quoted back to the parent
QUESTION_MARKS = ("?", "؟", ";", "፧", "？")  # Latin, Arabic, Greek, Ge'ez, full-width


def could_be_a_question(text: str) -> bool:
    """A few words, or a question mark: not a stray "ok" or a greeting."""
    return len(text.split()) >= 3 or any(mark in text for mark in QUESTION_MARKS)


def question_of(incoming: Text | Media) -> Any:
    """What a message gives as a question: its words, a voice message, or None."""
    if isinstance(incoming, Text) and could_be_a_question(incoming.text):
        return incoming.text
    if isinstance(incoming, Media) and incoming.kind == "voice" and incoming.ref:
        return {"voice": incoming.ref}
    return None


class Keeping:
    def __init__(self, conversations: Conversations) -> None:
        self._conversations = conversations

    async def typed(
        self, uow: UnitOfWork, parent: Parent, key: str, text: str, t: Translator, now: datetime
    ) -> list[Reply] | None:
        """Words typed while the conversation waits for a button only; None when they are
        not for keeping (no such wait, a button's label, or too short to be a question)."""
        found = await self._conversations.running(uow, parent)
        if found is None:
            return None
        flows, state = found
        node = flows.flows[state.flow].nodes[state.node]
        if not node.choose or node.ask is not None or not could_be_a_question(text):
            return None
        if engine.is_choice(flows, state, text, t.code):
            return None
        results = dict(state.results)
        if results.get(QUESTION):
            results[ADDED] = [*results.get(ADDED, []), text]
            await self._conversations.save(uow, parent, _with(state, results), now)
            note = t.gettext("I have added this to your question.")
            shown = await self._conversations.show_current(uow, parent, key) or []
            return [Reply(note, rtl=t.rtl), *shown]
        results[KEPT] = text
        await self._conversations.save(uow, parent, _with(state, results), now)
        return [self._is_this_your_question(t, text)]

    async def answered(
        self, uow: UnitOfWork, parent: Parent, key: str, action: str, t: Translator, now: datetime
    ) -> list[Reply]:
        """ "Is this your question?" — yes: it is kept as the question; no: back to where
        the parent was."""
        found = await self._conversations.running(uow, parent)
        if found is None or KEPT not in found[1].results:
            note = Reply(t.gettext("That button no longer works."), rtl=t.rtl)
            shown = await self._conversations.show_current(uow, parent, key)
            if shown is None:
                shown = await self._conversations.begin(uow, parent, key, now, node=MENU)
            return [note, *shown]
        flows, state = found
        results = dict(state.results)
        kept = results.pop(KEPT)
        if action != KEEP_YES:
            await self._conversations.save(uow, parent, _with(state, results), now)
            return await self._conversations.show_current(uow, parent, key) or []
        thanks = Reply(t.gettext("Thank you. We have kept your question."), rtl=t.rtl)
        prefilled = {**results.get(engine.PREFILLED, {}), QUESTION: kept}
        if _asks_the_question(flows.flows[state.flow]):
            results[engine.PREFILLED] = prefilled
            await self._conversations.save(uow, parent, _with(state, results), now)
            return [thanks, *(await self._conversations.show_current(uow, parent, key) or [])]
        await self._conversations.save(uow, parent, _with(state, results), now)
        started = await self._conversations.begin(
            uow, parent, key, now, flow=ASK_FLOW, results={engine.PREFILLED: prefilled}
        )
        return [thanks, *started]

    async def unawaited(
        self,
        uow: UnitOfWork,
        parent: Parent,
        key: str,
        incoming: Text | Media,
        t: Translator,
        now: datetime,
    ) -> list[Reply]:
        """A message when nothing waits for it (no conversation, no case reading along, as
        after a case was closed): kept as the question if the parent asks again, and the
        menu's choices."""
        return await self.with_question(uow, parent, key, question_of(incoming), t, now)

    async def with_question(
        self, uow: UnitOfWork, parent: Parent, key: str, value: Any, t: Translator, now: datetime
    ) -> list[Reply]:
        """The menu, with `value` (question_of) kept as the question if they ask one."""
        if value is None:
            return await self._conversations.begin(uow, parent, key, now, node=MENU)
        note = t.gettext(
            "Nobody is reading along here right now, so we have kept your message. "
            "If you ask a question (💬), it goes with it."
        )
        menu = await self._conversations.begin(
            uow, parent, key, now, node=MENU, results={engine.PREFILLED: {QUESTION: value}}
        )
        return [Reply(note, rtl=t.rtl), *menu]

    async def before_language(
        self, uow: UnitOfWork, parent: Parent, text: str, now: datetime
    ) -> None:
        """The first message came before a language was chosen: kept, if it may be the
        question; once the welcome is shown the parent is asked (`ask_if_kept`)."""
        if could_be_a_question(text):
            await self._conversations.keep_first_words(uow, parent, {KEPT: text}, now)

    async def ask_if_kept(self, uow: UnitOfWork, parent: Parent, t: Translator) -> list[Reply]:
        """ "Is this your question?" for words kept before the conversation began."""
        found = await self._conversations.running(uow, parent)
        kept = found[1].results.get(KEPT) if found is not None else None
        return [self._is_this_your_question(t, kept)] if isinstance(kept, str) else []

    @staticmethod
    def _is_this_your_question(t: Translator, text: str) -> Reply:
        preview = text if len(text) <= PREVIEW else text[:PREVIEW].rstrip() + "…"
        return Reply(
            t.gettext("Is this your question?") + f"\n\n“{preview}”",
            choices=(
                (Choice(t.gettext("✅ Yes, this is my question"), KEEP_YES),),
                (Choice(t.gettext("↩️ No, go back"), KEEP_NO),),
            ),
            rtl=t.rtl,
        )


def _with(state: engine.Conversation, results: dict[str, Any]) -> engine.Conversation:
    return replace(state, results=results)


def _asks_the_question(flow: Flow) -> bool:
    """The flow itself asks for the question further on (the ask flow before its question,
    the danger flow), so a kept one is used there."""
    return any(node.ask is not None and node.ask.save == QUESTION for node in flow.nodes.values())

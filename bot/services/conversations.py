"""Running a parent's conversation through the flow engine and carrying out its effects."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.services.buttons import ButtonTokens
from bot.services.cases import CaseDesk
from bot.services.flow_library import FlowLibrary
from bot.services.node_tally import NodeTally
from bot.services.privacy import IdentityVault
from bot.services.referrals import Referrals
from bot.services.task_kinds import FOLLOW_UP, NO_RESPONSE
from bot.services.voice_prompts import VoicePrompts
from flows import engine
from flows.effects import (
    CheckIn,
    OpenCase,
    Rated,
    ReferralAnswer,
    ScheduleFollowUp,
    ScheduleNoResponse,
    SetLanguage,
    ShowPartners,
)
from flows.flowset import FlowSet
from flows.inputs import Input, Pick, Timeout
from flows.outputs import Choice, Reply
from storage import Parent, UnitOfWork
from storage.records import ConversationRecord

WELCOME, MENU = "welcome", "menu"
# Typed while buttons waited, until the parent says whether it is their question (keeping).
KEPT = "_kept"


class Conversations:
    def __init__(
        self,
        vault: IdentityVault,
        library: FlowLibrary,
        tokens: ButtonTokens,
        cases: CaseDesk,
        referrals: Referrals,
    ) -> None:
        self._vault = vault
        self.library = library
        self._tokens = tokens
        self._cases = cases
        self._referrals = referrals
        self.prompts = VoicePrompts()
        self.tally = NodeTally()

    async def begin(
        self,
        uow: UnitOfWork,
        parent: Parent,
        subject: str,
        now: datetime,
        flow: str = WELCOME,
        node: str | None = None,
        results: dict[str, Any] | None = None,
    ) -> list[Reply]:
        """Start a flow; `results` are what it knows from the start (a check-in its case)."""
        flows = self.library.current
        await self.library.remember_current(uow, now)
        previous = await uow.conversations.get(parent.id)
        step = previous.step if previous else 0  # old keyboards stay old
        if previous is not None and results is None:
            # What the parent said before it was asked stays theirs across a new start.
            before = json.loads(self._vault.open(previous.sealed_results))
            results = {k: before[k] for k in (engine.PREFILLED, KEPT) if before.get(k)} or None
        lang = parent.language or "nl"
        outcome = engine.begin(flows, flow, lang, now, results=results, node=node, step=step)
        return await self._settle(uow, parent, subject, flows, outcome, now)

    async def start(
        self,
        uow: UnitOfWork,
        parent: Parent,
        subject: str,
        now: datetime,
        results: dict[str, Any] | None = None,
    ) -> list[Reply]:
        """/start: the welcome for a new parent; a returning one gets the welcome flow's
        short greeting (its `returning` node) and the menu."""
        previous = await uow.conversations.get(parent.id)
        returning = self.library.current.flows[WELCOME].returning
        if previous is not None and previous.step > 0 and returning is not None:
            return await self.begin(uow, parent, subject, now, node=returning, results=results)
        return await self.begin(uow, parent, subject, now, results=results)

    async def keep_first_words(
        self, uow: UnitOfWork, parent: Parent, kept: dict[str, Any], now: datetime
    ) -> None:
        """A parent wrote before choosing a language: what may be their question is kept
        until a conversation starts, which carries it on."""
        flows = self.library.current
        await self.library.remember_current(uow, now)
        welcome = flows.flows[WELCOME]
        state = engine.Conversation(flows.version, WELCOME, welcome.start, 0, kept, True)
        await self.save(uow, parent, state, now)

    async def running(
        self, uow: UnitOfWork, parent: Parent
    ) -> tuple[FlowSet, engine.Conversation] | None:
        """The conversation waiting for the parent's answer, if any."""
        return await self._running(uow, parent)

    async def save(
        self, uow: UnitOfWork, parent: Parent, state: engine.Conversation, now: datetime
    ) -> None:
        await uow.conversations.save(
            ConversationRecord(
                parent_id=parent.id,
                version=state.version,
                flow=state.flow,
                node=state.node,
                step=state.step,
                finished=state.finished,
                sealed_results=self._vault.seal(json.dumps(state.results, ensure_ascii=False)),
            ),
            now,
        )

    async def show_current(
        self, uow: UnitOfWork, parent: Parent, subject: str
    ) -> list[Reply] | None:
        """The question the parent is at, again, in their (perhaps new) language; None when
        no conversation waits for them."""
        found = await self._running(uow, parent)
        if found is None:
            return None
        flows, state = found
        replies = engine.show(flows, state, parent.language or "nl")
        if parent.listens:
            replies = await self.prompts.spoken(uow, flows, parent.language or "nl", replies)
        return self._signed(replies, subject)

    async def answer(
        self, uow: UnitOfWork, parent: Parent, subject: str, incoming: Input, now: datetime
    ) -> list[Reply] | None:
        """The parent's input to the running conversation; None when none is running."""
        found = await self._running(uow, parent)
        if found is None:
            return None
        flows, state = found
        outcome = engine.advance(flows, state, incoming, parent.language or "nl", now)
        return await self._settle(uow, parent, subject, flows, outcome, now)

    async def waits_for_a_button(self, uow: UnitOfWork, parent: Parent) -> bool:
        """The running conversation waits for a button only (not for typed words)."""
        found = await self._running(uow, parent)
        if found is None:
            return False
        flows, state = found
        node = flows.flows[state.flow].nodes[state.node]
        return bool(node.choose) and node.ask is None

    async def press(
        self, uow: UnitOfWork, parent: Parent, subject: str, token: str, now: datetime
    ) -> tuple[str, list[Reply]]:
        """A button: ('ok' | 'stale' | 'forged' | 'none', replies)."""
        press = self._tokens.read(subject, token)
        found = await self._running(uow, parent)
        if press is None:
            return "forged", self._show(found, parent, subject)
        if found is None or press.step != found[1].step:
            return "stale", self._show(found, parent, subject)
        flows, state = found
        outcome = engine.advance(flows, state, Pick(str(press.index)), parent.language or "nl", now)
        return "ok", await self._settle(uow, parent, subject, flows, outcome, now)

    async def wake(
        self, uow: UnitOfWork, parent: Parent, subject: str, step: int, now: datetime
    ) -> list[Reply]:
        found = await self._running(uow, parent)
        if found is None:
            return []
        flows, state = found
        outcome = engine.advance(flows, state, Timeout(step), parent.language or "nl", now)
        return await self._settle(uow, parent, subject, flows, outcome, now)

    def _show(
        self, found: tuple[FlowSet, engine.Conversation] | None, parent: Parent, subject: str
    ) -> list[Reply]:
        if found is None:
            return []
        flows, state = found
        return self._signed(engine.show(flows, state, parent.language or "nl"), subject)

    async def _running(
        self, uow: UnitOfWork, parent: Parent
    ) -> tuple[FlowSet, engine.Conversation] | None:
        record = await uow.conversations.get(parent.id)
        if record is None or record.finished:
            return None
        flows = await self.library.version(uow, record.version)
        if flows is None or record.flow not in flows.flows:
            return None
        results = json.loads(self._vault.open(record.sealed_results))
        state = engine.Conversation(
            record.version, record.flow, record.node, record.step, results, record.finished
        )
        return flows, state

    async def _settle(
        self,
        uow: UnitOfWork,
        parent: Parent,
        subject: str,
        flows: FlowSet,
        outcome: engine.Outcome,
        now: datetime,
    ) -> list[Reply]:
        state = outcome.state
        await self.save(uow, parent, state, now)
        # Anonymous drop-off counts: which nodes conversations entered (no link to a person).
        entered = [step.split(":", 1) for step in outcome.trace if ">" not in step]
        self.tally.add(state.version, [(flow, node) for flow, node in entered], now)
        outputs = list(outcome.outputs)
        shown = [e for e in outcome.effects if isinstance(e, ShowPartners)]
        for show in reversed(shown):  # where each step stood, the later ones first
            local = self._referrals.local_map(parent.language or "nl", show.kind)
            outputs[show.at : show.at] = local
        after: list[Reply] = []
        for effect in outcome.effects:
            after += await self._carry_out(uow, parent, subject, state, effect, now)
        replies = [*outputs, *after]
        if parent.listens:
            replies = await self.prompts.spoken(uow, flows, parent.language or "nl", replies)
        return self._signed(replies, subject)

    async def _carry_out(
        self,
        uow: UnitOfWork,
        parent: Parent,
        subject: str,
        state: engine.Conversation,
        effect: Any,
        now: datetime,
    ) -> list[Reply]:
        """Carry out one effect; returns anything the parent is told because of it."""
        match effect:
            case SetLanguage(code):
                await uow.parents.set_language(parent.id, code, now)
            case OpenCase(answers, urgent):
                _, told = await self._cases.open(
                    uow, parent.id, parent.language or "nl", answers, urgent, now
                )
                return told
            case ScheduleNoResponse(after, step):
                await uow.tasks.schedule(
                    NO_RESPONSE,
                    now + after,
                    now,
                    subject=subject,
                    payload={"step": step, "version": state.version},
                )
            case ScheduleFollowUp(after, flow):
                await uow.tasks.schedule(
                    FOLLOW_UP, now + after, now, subject=subject, payload={"flow": flow}
                )
            case CheckIn(answer, case_id) if case_id is not None:
                await self._cases.checked_in(uow, parent, case_id, answer, now)
            case ReferralAnswer(answer, referral) if referral is not None:
                await self._referrals.answered(uow, parent.id, referral, answer, now)
            case Rated(answer):
                await uow.figures.rated(now, parent.language or "nl", answer)
        return []

    def _signed(self, replies: list[Reply], subject: str) -> list[Reply]:
        """Engine buttons are named 'step:index'; the parent gets signed tokens."""
        out = []
        for reply in replies:
            if reply.choices:
                rows = tuple(
                    tuple(Choice(c.label, self._token(subject, c.action)) for c in row)
                    for row in reply.choices
                )
                reply = replace(reply, choices=rows)
            out.append(reply)
        return out

    def _token(self, subject: str, action: str) -> str:
        step, index = action.split(":")
        return self._tokens.sign(subject, int(step), int(index))

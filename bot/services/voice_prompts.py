"""Voice prompts: a flow node's texts spoken in one language, for parents who listen.

A coordinator records them from a phone with /record; a flow file may also name one per
language (`media: {voice: {ar: welcome-ar.ogg}}`). A prompt is only ever played in the
parent's own language: there is no fallback to Dutch."""

from __future__ import annotations

from collections.abc import Set

from flows.flowset import FlowSet
from flows.model import Node
from flows.outputs import TELEGRAM_FILE, Reply
from storage import UnitOfWork


def spoken_nodes(flows: FlowSet) -> list[tuple[str, Node]]:
    """(flow, node) of every node with texts of its own: the ones a prompt can speak."""
    return [
        (name, node)
        for name, flow in sorted(flows.flows.items())
        for node in flow.nodes.values()
        if node.say
    ]


def coverage(flows: FlowSet, prompts: Set[tuple[str, str, str]], lang: str) -> tuple[int, int]:
    """(nodes with a voice prompt in `lang`, nodes with texts) of `flows`.

    `prompts` are the recorded ones as (flow, node, language), from `VoicePrompts.recorded`;
    a prompt named in a flow file counts too. Pure: `i18n status` and `flows measure` call it
    with what they read."""
    nodes = spoken_nodes(flows)
    voiced = sum(
        (name, node.id, lang) in prompts
        or (node.media is not None and bool(node.media.spoken(lang)))
        for name, node in nodes
    )
    return voiced, len(nodes)


class VoicePrompts:
    async def spoken(
        self, uow: UnitOfWork, flows: FlowSet, lang: str, replies: list[Reply]
    ) -> list[Reply]:
        """`replies` with, before each one that starts a node (`Reply.prompt`), that node's
        voice prompt in `lang` where there is one: a recorded one first, else the flow
        file's."""
        if not any(reply.prompt for reply in replies):
            return replies
        recorded = await uow.voice_prompts.in_language(lang)
        out: list[Reply] = []
        for reply in replies:
            media = self._media(flows, recorded, lang, reply.prompt) if reply.prompt else None
            if media is not None:
                out.append(
                    Reply(text="", media=("voice", media), rtl=reply.rtl, silent=reply.silent)
                )
            out.append(reply)
        return out

    @staticmethod
    def _media(
        flows: FlowSet, recorded: dict[tuple[str, str], str], lang: str, prompt: str
    ) -> str | None:
        flow, _, node_id = prompt.partition(":")
        file_id = recorded.get((flow, node_id))
        if file_id is not None:
            return TELEGRAM_FILE + file_id
        node = flows.flows[flow].nodes.get(node_id) if flow in flows.flows else None
        return node.media.spoken(lang) if node is not None and node.media is not None else None

    async def recorded(self, uow: UnitOfWork) -> set[tuple[str, str, str]]:
        """(flow, node, language) of every recorded prompt."""
        return {(p.flow, p.node, p.language) for p in await uow.voice_prompts.all()}

    async def offered(self, uow: UnitOfWork, flows: FlowSet, lang: str) -> bool:
        """Whether a parent in `lang` is offered to listen: some prompt exists in it."""
        nodes = (node for flow in flows.flows.values() for node in flow.nodes.values())
        if any(node.media is not None and node.media.spoken(lang) for node in nodes):
            return True
        return await uow.voice_prompts.exists_in(lang)

"""/record: a coordinator records a flow node's voice prompt from a phone.

They pick the flow, the node and the language from buttons, then send a voice message. The
Telegram file is kept as that node's prompt in that language (with the flow version it was
recorded on) and sent again by its file_id to every parent who listens. No parent or case
is involved: nothing here is case access, so nothing is audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.i18n import Catalogs, Translator
from bot.services import staff_words as words
from bot.services.flow_library import FlowLibrary
from bot.services.languages import LANGUAGES
from bot.services.staff import staff_translator
from bot.services.voice_prompts import VoicePrompts
from flows.flowset import FlowSet
from flows.inputs import Media, number
from flows.model import Flow, Node
from flows.outputs import Choice, Reply
from storage import UnitOfWork
from storage.prompts import VoicePrompt
from storage.records import Person

# record:<version tag>:<flow>[:<node>[:<language>]], flow and node by their position in the
# version the buttons were made for: names could pass Telegram's 64 bytes of button data.
RECORD_ACTION = "record:"
VERSION_TAG = 8  # hex digits of the flow version: a reload in between makes buttons stale
RECORDING_VALID = timedelta(hours=1)  # a pending recording after that is forgotten
LABEL_WORDS = 24  # characters of a node's Dutch text on its button, after the node's name
MAX_QUOTE = 3000  # the texts to read out, within Telegram's 4,096 characters
MAX_FILE_ID = 256  # the voice_prompt.file_id column


def _spoken(flow: Flow) -> list[tuple[int, Node]]:
    """(position, node) of the flow's nodes that have texts: the ones a prompt can speak."""
    return [(i, node) for i, node in enumerate(flow.nodes.values()) if node.say]


def _shortened(text: str, size: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1].rstrip() + "…"


def _quoted(text: str) -> str:
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"


class PromptRecording:
    def __init__(
        self, catalogs: Catalogs, library: FlowLibrary, enabled: Callable[[], list[str]]
    ) -> None:
        self._catalogs = catalogs
        self._library = library
        self._enabled = enabled

    @staticmethod
    def pending(coordinator: Person, now: datetime) -> tuple[str, str, str] | None:
        """(flow, node, language) their next voice message is for; None if nothing waits."""
        flow, node, lang = (*coordinator.recording.split(":"), "", "", "")[:3]
        at = coordinator.recording_at
        if not lang or at is None or now - at > RECORDING_VALID:
            return None
        return flow, node, lang

    async def start(self, uow: UnitOfWork, coordinator: Person) -> list[Reply]:
        """/record: whatever was pending is dropped; the flows to choose from."""
        await uow.people.set_recording(coordinator.id, "", None)
        return [self._flow_picker(staff_translator(self._catalogs, coordinator))]

    async def pick(
        self, uow: UnitOfWork, coordinator: Person, action: str, now: datetime
    ) -> list[Reply]:
        """A button of /record: the flow, then the node, then the language."""
        t = staff_translator(self._catalogs, coordinator)
        flows = self._library.current
        tag, *rest = action.removeprefix(RECORD_ACTION).split(":")
        positions = [number(part) for part in rest[:2]]
        names = sorted(flows.flows)
        flow_at = positions[0] if positions else None
        if (
            tag != flows.version[:VERSION_TAG]
            or flow_at is None
            or flow_at >= len(names)
            or len(rest) > 3
        ):
            # Made before the flows changed, or naming nothing: choose again from the start.
            no_longer = Reply(t.gettext("That button no longer works."), rtl=t.rtl)
            return [no_longer, self._flow_picker(t)]
        flow = flows.flows[names[flow_at]]
        if len(rest) == 1:
            return [self._node_picker(t, flows, flow)]
        node = dict(_spoken(flow)).get(positions[1]) if positions[1] is not None else None
        if node is None:
            return [Reply(t.gettext("That button no longer works."), rtl=t.rtl)]
        here = f"{self._tag(flows)}:{flow_at}:{positions[1]}"
        if len(rest) == 2:
            return [await self._language_picker(uow, t, here, flow, node)]
        lang = rest[2]
        if lang not in self._enabled():
            return [Reply(t.gettext("That choice is no longer available."), rtl=t.rtl)]
        await uow.people.set_recording(coordinator.id, f"{flow.name}:{node.id}:{lang}", now)
        return [self._ask_for_voice(t, flows, flow, node, lang)]

    async def media(
        self, uow: UnitOfWork, coordinator: Person, incoming: Media, now: datetime
    ) -> list[Reply] | None:
        """A voice message becomes the pending prompt; None: not for /record at all."""
        t = staff_translator(self._catalogs, coordinator)
        pending = self.pending(coordinator, now)
        if incoming.kind != "voice":
            if pending is None:
                return None
            text = t.gettext(
                "That is not a voice message. Hold the microphone button while you speak, "
                "or send any text to stop recording."
            )
            return [Reply(text, rtl=t.rtl)]
        if coordinator.recording:  # kept or expired: either way it is done with
            await uow.people.set_recording(coordinator.id, "", None)
        if pending is None or not incoming.ref or len(incoming.ref) > MAX_FILE_ID:
            text = t.gettext(
                "This voice message was not kept: first choose with /record what it is for."
            )
            return [Reply(text, rtl=t.rtl)]
        flow_name, node_id, lang = pending
        flows = self._library.current
        flow = flows.flows.get(flow_name)
        if flow is None or node_id not in flow.nodes or lang not in self._enabled():
            return [Reply(t.gettext("That choice is no longer available."), rtl=t.rtl)]
        prompt = VoicePrompt(
            flow_name, node_id, lang, incoming.ref, flows.version, coordinator.id, now
        )
        await uow.voice_prompts.record(prompt)
        text = t.gettext(
            "Saved: the voice prompt of {node} ({flow}) in {language}. Parents who chose to "
            "listen hear it from now on."
        )
        language = words.language(t, lang)
        return [Reply(text.format(node=node_id, flow=flow_name, language=language), rtl=t.rtl)]

    async def cancel(self, uow: UnitOfWork, coordinator: Person) -> list[Reply]:
        """A text while a voice message was awaited: nothing is recorded."""
        await uow.people.set_recording(coordinator.id, "", None)
        t = staff_translator(self._catalogs, coordinator)
        return [Reply(t.gettext("Nothing was recorded. Send /record to start again."), rtl=t.rtl)]

    @staticmethod
    def _tag(flows: FlowSet) -> str:
        return RECORD_ACTION + flows.version[:VERSION_TAG]

    def _flow_picker(self, t: Translator) -> Reply:
        flows = self._library.current
        rows = tuple(
            (Choice(name, f"{self._tag(flows)}:{i}"),)
            for i, name in enumerate(sorted(flows.flows))
            if _spoken(flows.flows[name])
        )
        return Reply(t.gettext("Which flow is the voice prompt for?"), choices=rows, rtl=t.rtl)

    def _node_picker(self, t: Translator, flows: FlowSet, flow: Flow) -> Reply:
        here = f"{self._tag(flows)}:{sorted(flows.flows).index(flow.name)}"
        rows = tuple(
            (Choice(f"{node.id} · {_shortened(node.say[0], LABEL_WORDS)}", f"{here}:{i}"),)
            for i, node in _spoken(flow)
        )
        text = t.gettext("Which message of {flow} is it for?").format(flow=flow.name)
        return Reply(text, choices=rows, rtl=t.rtl)

    async def _language_picker(
        self, uow: UnitOfWork, t: Translator, here: str, flow: Flow, node: Node
    ) -> Reply:
        """The enabled languages; ✓ where the node has a prompt in it already."""
        recorded = await VoicePrompts().recorded(uow)
        done = {
            code
            for code in self._enabled()
            if (flow.name, node.id, code) in recorded
            or (node.media is not None and node.media.spoken(code) is not None)
        }
        rows = tuple(
            (
                Choice(
                    ("✓ " if code in done else "") + LANGUAGES[code].native_name, f"{here}:{code}"
                ),
            )
            for code in self._enabled()
        )
        text = t.gettext(
            "In which language? ✓ marks the languages that have a voice prompt for it already."
        )
        return Reply(text, choices=rows, rtl=t.rtl)

    def _ask_for_voice(
        self, t: Translator, flows: FlowSet, flow: Flow, node: Node, lang: str
    ) -> Reply:
        """Send the voice now, with the node's texts and buttons in that language to read."""
        context = f"{flow.name}:{node.id}"
        said = [flows.text(lang, f"{context}:say.{i}", text) for i, text in enumerate(node.say)]
        labels = [
            "– " + flows.text(lang, f"{context}:choose.{i}", option.label)
            for i, option in enumerate(node.choose)
        ]
        quote = _quoted("\n\n".join(said) + ("\n\n" + "\n".join(labels) if labels else ""))
        head = t.gettext("Send the voice message now, in {language}. Read out this text:")
        tail = t.gettext("Any text stops the recording; /record starts again.")
        language = words.language(t, lang)
        return Reply(f"{head.format(language=language)}\n\n{quote}\n\n{tail}", rtl=t.rtl)

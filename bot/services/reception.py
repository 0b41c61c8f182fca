"""A parent's entry point: language, the parent's own controls, and the conversation.

Controls work at any moment, as commands (Latin, as Telegram requires) and as plain words
in the parent's language: /stop, /forget, /start, /language, /help.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import Catalogs, Translator
from bot.services.case_card import CaseCard
from bot.services.cases import CaseDesk
from bot.services.console_access import ConsoleAccess
from bot.services.continuity import AGAIN, Continuity
from bot.services.conversations import MENU, Conversations
from bot.services.coordinator_desk import CoordinatorDesk
from bot.services.keeping import KEEP_ACTION, Keeping, question_of
from bot.services.languages import LANGUAGES, from_telegram_code
from bot.services.leaving import Leaving
from bot.services.privacy import IdentityVault
from bot.services.professionals import PRO_ACTION, Professionals
from bot.services.prompt_recording import PromptRecording
from bot.services.referrals import Referrals
from bot.services.relay import HOLD_ACTION, Said
from bot.services.sharing import CONSENT_ACTION, SHARE_ACTION, Sharing
from bot.services.staff import (
    COORDINATOR,
    INVITE_PREFIX,
    PARTNER,
    Staff,
    StaffLanguages,
    staff_translator,
)
from bot.services.urgent import UrgentLadder
from bot.services.vp_desk import VpDesk
from flows.answers import normalise
from flows.inputs import Command, Input, Media, Pick, Text
from flows.outputs import Choice, Reply
from flows.texts import NP_
from storage import Parent, UnitOfWork

LANGUAGE_ACTION = "lang:"
LISTEN_ON, LISTEN_OFF = "listen:on", "listen:off"
FORGET_YES, FORGET_NO = "forget:yes", "forget:no"
PRESELECTED_MARK = "✓ "
CONTROLS = ("stop", "forget", "start", "language", "help", "listen", "read")
# Plain words that work like the commands; translators give each language's words, "|" apart.
CONTROL_WORDS = {
    "stop": NP_("control words", "stop|pause"),
    "forget": NP_("control words", "forget|erase"),
    "start": NP_("control words", "start|restart|menu"),
    "language": NP_("control words", "language"),
}
# Not "help": a parent who types it may need the emergency numbers, which the menu offers.


@dataclass(frozen=True)
class Subject:
    """Who wrote, as the channel knows them; only a keyed hash of it is stored."""

    channel: str
    external_id: int | str


class Reception:
    def __init__(
        self,
        vault: IdentityVault,
        catalogs: Catalogs,
        enabled: Callable[[], list[str]],
        conversations: Conversations,
        staff: Staff,
        cases: CaseDesk,
        leaving: Leaving,
        ladder: UrgentLadder,
        console: ConsoleAccess,
        card: CaseCard,
        referrals: Referrals,
        professionals: Professionals,
        continuity: Continuity,
    ) -> None:
        self._vault = vault
        self._catalogs = catalogs
        self._enabled = enabled  # the coordinator's current choice, which may be reloaded
        self.conversations = conversations
        self.keeping = Keeping(conversations)
        self.staff = staff
        self.cases = cases
        self.leaving = leaving
        self.sharing = Sharing(vault, catalogs, cases)
        self.referrals = referrals
        self.professionals = professionals
        self.continuity = continuity
        self.staff_languages = StaffLanguages(vault, catalogs, enabled)
        self.vp_desk = VpDesk(
            catalogs,
            cases,
            self.sharing,
            self.staff_languages,
            console,
            card,
            referrals,
            professionals,
            continuity,
        )
        recording = PromptRecording(catalogs, conversations.library, enabled)
        self.coordinator_desk = CoordinatorDesk(
            catalogs, cases, ladder, self.staff_languages, recording, console
        )

    @property
    def languages(self) -> list[str]:
        return self._enabled()

    async def handle(
        self,
        uow: UnitOfWork,
        subject: Subject,
        incoming: Input,
        now: datetime,
        language_hint: str | None = None,
        said: Said | None = None,
    ) -> list[Reply]:
        """Answer one input; `language_hint` is the client's language, if known, and `said`
        the message as the relay would pass it on (channels that have a relay give it)."""
        if isinstance(incoming, Command) and (incoming.argument or "").startswith(INVITE_PREFIX):
            return await self._register(uow, subject, incoming.argument or "", now, language_hint)
        key = self._vault.subject_hash(subject.channel, subject.external_id)
        identity = await uow.parents.identify(key)  # the parent, if any, is kept for below
        person = await uow.people.find(key) if identity.staff else None
        if person is not None and person.role == COORDINATOR:
            return await self.coordinator_desk.handle(uow, person, incoming, now)
        if person is not None and person.role == PARTNER:
            return await self.professionals.handle(uow, person, incoming, now, said)
        if person is not None:
            return await self.vp_desk.handle(uow, person, incoming, now, said)
        parent = await uow.parents.get_or_create(
            subject.channel, key, self._vault.seal(subject.external_id), now
        )
        preferred = parent.language or language_hint or None
        t = self._t(preferred)
        control = self._control(incoming, t)
        if parent.stopped_at is not None and control != "stop":
            await uow.parents.resume(parent.id, now)  # they wrote again
        match control, incoming:
            case "stop", _:
                await uow.parents.mark_stopped(key, now)
                await uow.tasks.cancel_subject(key, now)
                return [
                    self._say(
                        t,
                        t.gettext(
                            "We will not send you any more messages. "
                            "Whenever you write again, we carry on."
                        ),
                    )
                ]
            case "forget", _:
                return [self._forget_question(t)]
            case "language", _:
                return [self._picker(preferred)]
            case "help", _:
                return [self._help(t)]
            case "start", _ if parent.language is None:
                return [self._picker(preferred)]
            case "start", _:
                return await self.conversations.start(uow, parent, key, now)
            case ("listen" | "read") as mode, _ if parent.language is not None:
                return await self._listen(uow, parent, key, mode == "listen", now)
            case "listen" | "read", _:
                return [self._picker(preferred)]
            case None, Command(name="share", argument=argument):
                return await self.sharing.ask_reveal(uow, parent, argument or "", now)
            case None, Command(name=""):  # a slash without a command word after it
                return [
                    self._say(
                        t,
                        t.gettext(
                            "Write a command straight after the slash, in Latin letters, "
                            "for example /help."
                        ),
                    )
                ]
            case None, Command():
                return [
                    self._say(
                        t,
                        t.gettext(
                            "I don't know that command. Use /help to see what you can do here."
                        ),
                    )
                ]
            case None, Pick(action):
                return await self._pick(uow, parent, key, action, preferred, now)
            case None, Text(text) if await self.professionals.ends_by_word(uow, parent, text):
                return await self.professionals.end_by_parent(uow, parent, now)
            case None, Text(text) if parent.language is None:
                typed = self._typed_language(text)
                if typed is None:
                    await self.keeping.before_language(uow, parent, text, now)
                if typed is None and language_hint is None:
                    # The phone's language is not one we offer: let the parent choose.
                    return [self._picker(None)]
                # Writing instead of choosing takes the phone's (pre-selected) language.
                chosen = typed or self._t(language_hint).code
                return await self._choose(uow, parent, key, chosen, preferred, now)
            case None, Text(text) if (typed := self._typed_language(text)) is not None:
                return await self._choose(uow, parent, key, typed, preferred, now)
            case None, (Text() | Media()) if said is not None and await self._for_the_vp(
                uow, parent
            ):
                # A message while a check-in waits for a button: it is for the VP, not lost.
                return await self.cases.relay.from_parent(uow, parent, said, now) or []
            case None, Text(text) if (
                kept := await self.keeping.typed(uow, parent, key, text, t, now)
            ) is not None:
                return kept
            case None, (Text() | Media()):
                replies = await self.conversations.answer(uow, parent, key, incoming, now)
                if replies is None and said is not None:
                    replies = await self.cases.relay.from_parent(uow, parent, said, now)
                if replies is None:
                    # Back after a closed question: continue with the same VP, or someone new.
                    back = await self.continuity.welcome_back(
                        uow, parent, question_of(incoming), t, now
                    )
                    return back or await self.keeping.unawaited(uow, parent, key, incoming, t, now)
                return replies
        raise TypeError(f"unknown input {type(incoming).__name__}")

    async def _for_the_vp(self, uow: UnitOfWork, parent: Parent) -> bool:
        if not await self.conversations.waits_for_a_button(uow, parent):
            return False
        return any(case.relaying for case in await uow.cases.open_of_parent(parent.id))

    async def edited(self, uow: UnitOfWork, subject: Subject, said: Said, now: datetime) -> None:
        """Someone changed a message they sent: a relayed one goes again, marked."""
        key = self._vault.subject_hash(subject.channel, subject.external_id)
        person = await uow.people.find(key)
        if person is not None:
            await self.cases.relay.from_staff(uow, person, said, now)
            return
        parent = await uow.parents.find(key)
        if parent is not None:
            await self.cases.relay.from_parent(uow, parent, said, now)

    async def left(self, uow: UnitOfWork, subject: Subject, now: datetime) -> None:
        """Someone blocked the bot (Telegram told us without waiting for a failed send)."""
        key = self._vault.subject_hash(subject.channel, subject.external_id)
        if await uow.people.find(key) is not None or await uow.parents.find(key) is not None:
            await self.leaving.unreachable(uow, key, now)

    async def _register(
        self, uow: UnitOfWork, subject: Subject, code: str, now: datetime, hint: str | None
    ) -> list[Reply]:
        """An invitation link opened: this account becomes a VP or coordinator."""
        t = self._t(hint)
        person = await self.staff.register(uow, code, subject.channel, subject.external_id, now)
        if person is None:
            return [
                self._say(
                    t,
                    t.gettext(
                        "This invitation link does not work (any more). "
                        "Ask your coordinator for a new one."
                    ),
                )
            ]
        await self.cases.offer_waiting(uow, now)  # a new VP may take what is waiting
        await self.staff_languages.send_menu(uow, person, now)
        if person.role == PARTNER:
            return [self._say(t, await self.professionals.registered(uow, person))]
        if person.role == COORDINATOR:
            text = t.gettext("Welcome, {name}. You are now registered as a coordinator.")
        else:
            text = t.gettext(
                "Welcome, {name}. You are now registered as a vertrouwenspersoon. "
                "Parents will see you as {display_name}."
            )
        return [self._say(t, text.format(name=person.name, display_name=person.display_name))]

    def _control(self, incoming: Input, t: Translator) -> str | None:
        if isinstance(incoming, Command):
            return incoming.name if incoming.name in CONTROLS else None
        if isinstance(incoming, Text):
            for control, words in CONTROL_WORDS.items():
                if t.says(incoming.text, words):
                    return control
        return None

    async def _pick(
        self,
        uow: UnitOfWork,
        parent: Parent,
        key: str,
        action: str,
        preferred: str | None,
        now: datetime,
    ) -> list[Reply]:
        t = self._t(preferred)
        if action.startswith(LANGUAGE_ACTION):
            code = action.removeprefix(LANGUAGE_ACTION)
            return await self._choose(uow, parent, key, code, preferred, now)
        if action in (LISTEN_ON, LISTEN_OFF) and parent.language is not None:
            return await self._listen(uow, parent, key, action == LISTEN_ON, now, first=True)
        if action.startswith(KEEP_ACTION):
            return await self.keeping.answered(uow, parent, key, action, t, now)
        if action == FORGET_YES:
            await self.cases.withdraw_all(uow, parent.id, now)
            await uow.erase_parent(parent.id, key, now)
            return [
                Reply(
                    text=t.gettext(
                        "Everything has been erased. You can also delete this chat: "
                        "press and hold it in your chat list and choose Delete."
                    ),
                    rtl=t.rtl,
                    leave_no_trace=True,
                )
            ]
        if action == FORGET_NO:
            return [self._say(t, t.gettext("Nothing has been erased."))]
        if action.startswith(SHARE_ACTION):
            return await self.sharing.reveal(uow, parent, action, now)
        if action.startswith(CONSENT_ACTION):
            return await self.sharing.consent(uow, parent, action, now)
        if action.startswith(PRO_ACTION):
            return await self.professionals.answer(uow, parent, action, now)
        if action.startswith(AGAIN):
            t = self._t(preferred)
            again = await self.continuity.again(uow, parent, action, t, now)
            if again is None:
                return [self._say(t, t.gettext("That button no longer works."))]
            question, told = again
            return told or await self.keeping.with_question(uow, parent, key, question, t, now)
        if action.startswith(HOLD_ACTION):
            cases = await uow.cases.open_of_parent(parent.id)
            chosen = await self.cases.relay.choose(uow, key, action, cases, now)
            if chosen is None:
                return [self._say(t, t.gettext("That button no longer works."))]
            return await self.cases.relay.parent_to(uow, parent, *chosen, now)
        status, replies = await self.conversations.press(uow, parent, key, action, now)
        if status == "ok":
            return replies
        if not replies:  # nothing running: back to the menu
            replies = await self.conversations.begin(uow, parent, key, now, node=MENU)
        if status == "stale":
            note = t.gettext(
                "That button belongs to an earlier question. This is where we are now:"
            )
        else:
            note = t.gettext("That button no longer works.")
        return [self._say(t, note), *replies]

    async def _choose(
        self,
        uow: UnitOfWork,
        parent: Parent,
        key: str,
        code: str,
        preferred: str | None,
        now: datetime,
    ) -> list[Reply]:
        if code not in self.languages:
            t = self._t(preferred)
            return [
                self._say(t, t.gettext("That choice is no longer available.")),
                self._picker(preferred),
            ]
        await uow.parents.set_language(parent.id, code, now)
        chosen = await uow.parents.find(key)
        assert chosen is not None
        t = self._t(code)
        if parent.language is None:  # the first choice: straight on, few words to read
            flows = self.conversations.library.current
            if chosen.listens is None and await self.conversations.prompts.offered(
                uow, flows, code
            ):
                return [self._listen_or_read(t)]
            return await self._welcome(uow, chosen, key, t, now)
        confirm = self._say(
            t, t.gettext("Fine, we will write in English. You can change this with /language.")
        )
        if parent.language != code:
            await self.cases.language_changed(uow, parent.id, code, now)
        # Mid-flow: the same question again, in the new language; else the menu.
        return [confirm, *await self._where_they_were(uow, chosen, key, now)]

    async def _listen(
        self,
        uow: UnitOfWork,
        parent: Parent,
        key: str,
        listens: bool,
        now: datetime,
        first: bool = False,
    ) -> list[Reply]:
        """Listen (each message's voice prompt first, in the parent's language) or read."""
        await uow.parents.set_listening(parent.id, listens, now)
        chosen = await uow.parents.find(key)
        assert chosen is not None
        t = self._t(chosen.language)
        if first and await self.conversations.running(uow, chosen) is None:
            return await self._welcome(uow, chosen, key, t, now)
        if listens:
            note = t.gettext(
                "You will hear the messages that have a spoken version. /read stops it."
            )
        else:
            note = t.gettext("You will only get written messages. /listen to hear them.")
        return [self._say(t, note), *await self._where_they_were(uow, chosen, key, now)]

    async def _where_they_were(
        self, uow: UnitOfWork, parent: Parent, key: str, now: datetime
    ) -> list[Reply]:
        """The question the parent is at, again; with none waiting, the start."""
        again = await self.conversations.show_current(uow, parent, key)
        return again if again is not None else await self.conversations.start(uow, parent, key, now)

    async def _welcome(
        self, uow: UnitOfWork, parent: Parent, key: str, t: Translator, now: datetime
    ) -> list[Reply]:
        """The welcome after the first choice of language; then, if the parent wrote before
        choosing, whether that was their question."""
        welcome = await self.conversations.start(uow, parent, key, now)
        return [*welcome, *await self.keeping.ask_if_kept(uow, parent, t)]

    def _listen_or_read(self, t: Translator) -> Reply:
        return Reply(
            text=t.gettext("Would you like to listen to the messages, or read them?"),
            choices=(
                (
                    Choice(t.gettext("🔊 Listen"), LISTEN_ON),
                    Choice(t.gettext("📖 Read"), LISTEN_OFF),
                ),
            ),
            rtl=t.rtl,
        )

    def _typed_language(self, text: str) -> str | None:
        typed = normalise(text).removeprefix(normalise(PRESELECTED_MARK))
        for code in self.languages:
            if typed == normalise(LANGUAGES[code].native_name):
                return code
        return None

    def _picker(self, preselected: str | None) -> Reply:
        t = self._t(preselected)
        rows = tuple(
            (
                Choice(
                    # Marked only when the phone's language is one we offer: never Dutch by default.
                    (PRESELECTED_MARK if code == preselected else "") + LANGUAGES[code].native_name,
                    LANGUAGE_ACTION + code,
                ),
            )
            for code in self.languages
        )
        text = t.gettext("Which language would you like? You can change it later with /language.")
        return Reply(text=text, choices=rows, rtl=t.rtl)

    def _forget_question(self, t: Translator) -> Reply:
        return Reply(
            text=t.gettext(
                "Shall we erase everything we have stored for this chat? Your answers and any "
                "question you passed on will be deleted. This cannot be undone."
            ),
            choices=(
                (Choice(t.gettext("Yes, erase everything"), FORGET_YES),),
                (Choice(t.gettext("No, keep it"), FORGET_NO),),
            ),
            rtl=t.rtl,
        )

    def _help(self, t: Translator) -> Reply:
        return self._say(
            t,
            t.gettext(
                "What you can do here:\n"
                "/start – begin again\n"
                "/language – choose another language\n"
                "/listen or /read – hear the messages, or only read them\n"
                "/stop – no more messages until you write again\n"
                "/forget – erase everything\n"
                "/help – this overview"
            ),
        )

    async def apologise(
        self, uow: UnitOfWork, subject: Subject, now: datetime, language_code: str | None
    ) -> list[Reply]:
        """Their message could not be handled and was set aside: say so, in their language.

        Nobody is registered by this: an unknown sender stays unknown."""
        key = self._vault.subject_hash(subject.channel, subject.external_id)
        if (person := await uow.people.find(key)) is not None:
            t = staff_translator(self._catalogs, person)
        else:
            parent = await uow.parents.find(key)
            if parent is not None and parent.stopped_at is not None:
                return []  # they asked for silence
            hint = from_telegram_code(language_code, self.languages)
            t = self._t((parent.language if parent else None) or hint)
        return [
            self._say(
                t,
                t.gettext(
                    "Sorry, something went wrong on our side with your last message. "
                    "Please try again."
                ),
            )
        ]

    def _t(self, code: str | None) -> Translator:
        return self._catalogs.translator(code)

    @staticmethod
    def _say(t: Translator, text: str) -> Reply:
        return Reply(text=text, rtl=t.rtl)

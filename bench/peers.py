"""The peers the bot is measured against, written the way PTB's examples write them.

    python -m bench.peers echo API_URL
    python -m bench.peers intake API_URL PICKLE [--flush]

`echo` answers every text message with one reply. `intake` walks five steps (/start, a topic
button, a typed question, a preference button, a consent button), each answered with one
message and a keyboard, in a ConversationHandler with PicklePersistence: with PTB's defaults
(saved every 60 s) or, with --flush, saving the conversation before each reply.
"""

from __future__ import annotations

import sys
import time

IMPORTS_STARTED = time.time()

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    ExtBot,
    MessageHandler,
    PicklePersistence,
    filters,
)

TOKEN = "123456:BENCH-peer"
CONVERSATION = "intake"
TOPIC, QUESTION, PREFERENCE, CONSENT = range(4)
TOPICS = ("school", "health", "money", "home")
PREFERENCES = ("woman", "man", "either")
FINISHED_USER_DATA = {"topic": "school", "question": "My son does not want to go to school."}


def keyboard(prefix: str, choices: tuple[str, ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(choice, callback_data=f"{prefix}:{choice}")] for choice in choices]
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One reply per message."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "?")


def echo_application(api_url: str) -> Application:  # type: ignore[type-arg]
    application = Application.builder().token(TOKEN).base_url(api_url).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


def intake_application(api_url: str, pickle: str, flush: bool) -> Application:  # type: ignore[type-arg]
    # on_flush=False: every update_conversation writes the whole file (PTB's default).
    persistence = PicklePersistence(pickle)
    application = (
        Application.builder().token(TOKEN).base_url(api_url).persistence(persistence).build()
    )

    async def save(update: Update, state: int) -> None:
        """With --flush: the conversation is on disk before the parent sees the reply."""
        if flush:
            assert update.effective_chat is not None and update.effective_user is not None
            key = (update.effective_chat.id, update.effective_user.id)
            await persistence.update_conversation(CONVERSATION, key, state)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Welcome, and the topics."""
        assert update.message is not None
        await save(update, TOPIC)
        await update.message.reply_text("Welcome. What is it about?", reply_markup=TOPIC_KEYS)
        return TOPIC

    async def topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """The topic; now the question in their own words."""
        query = update.callback_query
        assert query is not None and query.message is not None and context.user_data is not None
        await query.answer()
        context.user_data["topic"] = (query.data or ":").split(":", 1)[1]
        await save(update, QUESTION)
        await query.message.reply_text("Write your question.", reply_markup=CANCEL_KEYS)
        return QUESTION

    async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """The question; now the preference."""
        assert update.message is not None and context.user_data is not None
        context.user_data["question"] = update.message.text
        await save(update, PREFERENCE)
        await update.message.reply_text("Anyone you prefer?", reply_markup=PREFERENCE_KEYS)
        return PREFERENCE

    async def preference(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """The preference; now the consent."""
        query = update.callback_query
        assert query is not None and query.message is not None and context.user_data is not None
        await query.answer()
        context.user_data["preference"] = (query.data or ":").split(":", 1)[1]
        await save(update, CONSENT)
        await query.message.reply_text("May we pass it on?", reply_markup=CONSENT_KEYS)
        return CONSENT

    async def consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Passed on (or not): the end."""
        query = update.callback_query
        assert query is not None and query.message is not None and context.user_data is not None
        await query.answer()
        context.user_data["consent"] = query.data
        await save(update, ConversationHandler.END)
        await query.message.reply_text("Thank you, it is passed on.", reply_markup=MENU_KEYS)
        return ConversationHandler.END

    application.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={
                TOPIC: [CallbackQueryHandler(topic, pattern="^topic:")],
                QUESTION: [MessageHandler(filters.TEXT & ~filters.COMMAND, question)],
                PREFERENCE: [CallbackQueryHandler(preference, pattern="^pref:")],
                CONSENT: [CallbackQueryHandler(consent, pattern="^consent:")],
            },
            fallbacks=[CommandHandler("start", start)],
            name=CONVERSATION,
            persistent=True,
        )
    )
    return application


TOPIC_KEYS = keyboard("topic", TOPICS)
CANCEL_KEYS = keyboard("cancel", ("cancel",))
PREFERENCE_KEYS = keyboard("pref", PREFERENCES)
CONSENT_KEYS = keyboard("consent", ("yes", "no"))
MENU_KEYS = keyboard("menu", ("ask", "services"))


async def seed_pickle(path: str, stored: int, first_user: int) -> None:
    """`stored` finished intakes in PTB's own format, written by PTB's PicklePersistence."""
    persistence: PicklePersistence = PicklePersistence(path, on_flush=True)  # type: ignore[type-arg]
    # Without a bot, PTB's pickler takes every None for "the bot" (its placeholder).
    persistence.set_bot(ExtBot(TOKEN))
    # Read first, as the Application does: this creates the empty stores the file holds.
    await persistence.get_user_data()
    await persistence.get_chat_data()
    await persistence.get_bot_data()
    await persistence.get_callback_data()
    await persistence.get_conversations(CONVERSATION)
    for user in range(first_user, first_user + stored):
        await persistence.update_user_data(user, dict(FINISHED_USER_DATA, consent="consent:yes"))
        await persistence.update_conversation(CONVERSATION, (user, user), None)
    await persistence.flush()


def main(argv: list[str]) -> None:
    print(f"BENCH imported {time.time() - IMPORTS_STARTED:.3f}", flush=True)
    kind, api_url = argv[0], argv[1]
    if kind == "echo":
        application = echo_application(api_url)
    else:
        application = intake_application(api_url, argv[2], flush="--flush" in argv)
    application.run_polling(allowed_updates=["message", "callback_query"])


if __name__ == "__main__":
    main(sys.argv[1:])

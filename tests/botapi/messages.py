"""Methods that send, edit, copy and delete messages."""

from __future__ import annotations

from typing import Any

from .protocol import Call, bad_request, method
from .world import Chat, snapshot

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})
# What copyMessage and forwardMessage carry over from the original.
CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "voice",
    "audio",
    "photo",
    "document",
    "video",
    "animation",
    "sticker",
    "contact",
    "location",
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def check_parse_mode(call: Call) -> None:
    mode = call.get("parse_mode")
    # Entities are not parsed out of the text: the text is kept exactly as the bot sent it.
    if mode and str(mode).lower() not in PARSE_MODES:
        raise bad_request(f"unsupported parse_mode {mode!r}")


def text_content(call: Call) -> dict[str, Any]:
    text = call.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    check_parse_mode(call)
    content: dict[str, Any] = {"text": text}
    if call.get("entities"):
        content["entities"] = call.get("entities")
    return content


def caption_content(call: Call) -> dict[str, Any]:
    caption = call.get("caption")
    if caption is None or caption == "":
        return {}
    if len(str(caption)) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    check_parse_mode(call)
    content: dict[str, Any] = {"caption": str(caption)}
    if call.get("caption_entities"):
        content["caption_entities"] = call.get("caption_entities")
    return content


def check_inline_keyboard(markup: dict[str, Any]) -> None:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardMarkup expected")
    for button in (button for row in rows for button in row):
        if not isinstance(button, dict) or not button.get("text"):
            raise bad_request("BUTTON_TEXT_INVALID")
        if set(button) == {"text"}:
            raise bad_request("text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")


def apply_markup(chat: Chat, message: dict[str, Any], markup: Any) -> None:
    """Attach an inline keyboard to the message; reply keyboards belong to the chat instead."""
    if not markup:
        message.pop("reply_markup", None)
        return
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        check_inline_keyboard(markup)
        message["reply_markup"] = markup
    elif "keyboard" in markup:
        chat.keyboard = markup
    elif markup.get("remove_keyboard"):
        chat.keyboard = None


def _reply_to(call: Call, chat: Chat) -> dict[str, Any] | None:
    reply = call.get("reply_parameters") or {}
    message_id = reply.get("message_id") or call.get("reply_to_message_id")
    if not message_id:
        return None
    original = chat.messages.get(int(message_id))
    if original is not None:
        quoted = snapshot(original)
        quoted.pop("reply_to_message", None)  # Telegram never nests replies
        return quoted
    if reply.get("allow_sending_without_reply") or call.get("allow_sending_without_reply"):
        return None
    raise bad_request("message to be replied not found")


def post_from_bot(call: Call, chat: Chat, content: dict[str, Any]) -> dict[str, Any]:
    """Store a message the bot sends to `chat`, with thread, reply, protection and keyboard."""
    extra: dict[str, Any] = {}
    thread_id = call.get("message_thread_id")
    if thread_id:
        if thread_id not in chat.topics:
            raise bad_request("message thread not found")
        extra.update(message_thread_id=thread_id, is_topic_message=True)
    reply = _reply_to(call, chat)
    if reply is not None:
        extra["reply_to_message"] = reply
    if call.get("protect_content"):
        extra["has_protected_content"] = True
    if chat.voice_forbidden and ("voice" in content or "video_note" in content):
        raise bad_request("VOICE_MESSAGES_FORBIDDEN")
    apply_markup(chat, extra, call.get("reply_markup"))
    message = call.world.add_message(chat, call.world.bot_user, {**extra, **content})
    call.world.mark_bot_message(chat, message)
    return message


@method("sendMessage")
async def send_message(call: Call) -> dict[str, Any]:
    chat = call.world.writable_chat(call.require("chat_id"))
    return post_from_bot(call, chat, text_content(call))


def bot_message_to_edit(call: Call) -> tuple[Chat, dict[str, Any]]:
    if call.get("inline_message_id"):
        raise bad_request("inline messages are not supported by the test server")
    chat = call.world.writable_chat(call.require("chat_id"))
    message_id = call.require("message_id", "message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if message["from"]["id"] != call.world.bot_user["id"]:
        raise bad_request("message can't be edited")
    return chat, message


def _edit(call: Call, chat: Chat, message: dict[str, Any], content: dict[str, Any]) -> Any:
    """Replace content and inline keyboard; Telegram refuses an edit that changes nothing."""
    before = {key: message.get(key) for key in (*content, "reply_markup")}
    edited = {k: v for k, v in message.items() if k not in content}
    edited.update({k: v for k, v in content.items() if v})
    apply_markup(chat, edited, call.get("reply_markup"))
    if before == {key: edited.get(key) for key in before}:
        raise bad_request(NOT_MODIFIED)
    edited["edit_date"] = call.world.now()
    message.clear()
    message.update(edited)  # in place, so views holding the dict see the new state
    call.world.mark_changed(chat, message["message_id"])
    return message


@method("editMessageText")
async def edit_message_text(call: Call) -> Any:
    chat, message = bot_message_to_edit(call)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    return _edit(call, chat, message, {"entities": None, **text_content(call)})


@method("editMessageCaption")
async def edit_message_caption(call: Call) -> Any:
    chat, message = bot_message_to_edit(call)
    if "text" in message:
        raise bad_request("there is no caption in the message to edit")
    content = {"caption": None, "caption_entities": None, **caption_content(call)}
    return _edit(call, chat, message, content)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> Any:
    chat, message = bot_message_to_edit(call)
    return _edit(call, chat, message, {})


def _original(call: Call, what: str, done: str) -> dict[str, Any]:
    source = call.world.chat(call.require("from_chat_id"))
    message_id = call.require("message_id", "message identifier is not specified")
    original = source.messages.get(message_id)
    if original is None:
        raise bad_request(f"message to {what} not found")
    if not any(key in original for key in CONTENT_KEYS):
        raise bad_request(f"message can't be {done}")
    return original


@method("copyMessage")
async def copy_message(call: Call) -> dict[str, int]:
    original = _original(call, "copy", "copied")
    chat = call.world.writable_chat(call.require("chat_id"))
    content = snapshot({k: original[k] for k in CONTENT_KEYS if k in original})
    if "text" not in content and call.get("caption") is not None:
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(caption_content(call))
    message = post_from_bot(call, chat, content)
    return {"message_id": message["message_id"]}


@method("forwardMessage")
async def forward_message(call: Call) -> dict[str, Any]:
    original = _original(call, "forward", "forwarded")
    chat = call.world.writable_chat(call.require("chat_id"))
    content = snapshot({k: original[k] for k in CONTENT_KEYS if k in original})
    content["forward_origin"] = {
        "type": "user",
        "sender_user": original["from"],
        "date": original["date"],
    }
    return post_from_bot(call, chat, content)


@method("deleteMessage")
async def delete_message(call: Call) -> bool:
    chat = call.world.chat(call.require("chat_id"))
    message_id = call.require("message_id", "message identifier is not specified")
    if not call.world.delete_message(chat, message_id):
        raise bad_request("message to delete not found")
    return True


@method("deleteMessages")
async def delete_messages(call: Call) -> bool:
    chat = call.world.chat(call.require("chat_id"))
    for message_id in call.require("message_ids"):
        call.world.delete_message(chat, int(message_id))  # missing ones are skipped
    return True


@method("sendChatAction")
async def send_chat_action(call: Call) -> bool:
    chat = call.world.writable_chat(call.require("chat_id"))
    chat.actions.append(call.require("action", "wrong parameter action in request"))
    return True


@method("setMessageReaction")
async def set_message_reaction(call: Call) -> bool:
    chat = call.world.writable_chat(call.require("chat_id"))
    message_id = call.require("message_id", "message identifier is not specified")
    if message_id not in chat.messages:
        raise bad_request("message to react not found")
    chat.reactions[message_id] = list(call.get("reaction") or [])
    return True


@method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> bool:
    record = call.world.callbacks.get(str(call.require("callback_query_id")))
    if record is None or record.answers:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    record.answers.append(dict(call.params))
    return True

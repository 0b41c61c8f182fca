"""Methods about chats themselves: reading, leaving, forum topics."""

from __future__ import annotations

from typing import Any

from .protocol import Call, bad_request, method
from .world import Chat, World

DEFAULT_TOPIC_COLOR = 0x6FB9F0
MAX_TOPIC_NAME = 128


def member_update(world: World, chat: Chat, by: dict[str, Any], old: str, new: str) -> int:
    """Queue the my_chat_member update Telegram sends when the bot's membership changes."""
    bot = world.bot_user
    old_member: dict[str, Any] = {"status": old, "user": bot}
    new_member: dict[str, Any] = {"status": new, "user": bot}
    for member in (old_member, new_member):
        if member["status"] == "kicked":
            member["until_date"] = 0  # forever
    return world.enqueue(
        {
            "my_chat_member": {
                "chat": chat.info,
                "from": by,
                "date": world.now(),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            }
        }
    )


@method("getChat")
async def get_chat(call: Call) -> dict[str, Any]:
    chat = call.world.chat(call.require("chat_id"))
    return {
        **chat.info,
        # Required ChatFullInfo fields that mean nothing to a test.
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


@method("leaveChat")
async def leave_chat(call: Call) -> bool:
    chat = call.world.chat(call.require("chat_id"))
    if chat.is_private:
        raise bad_request("chat member status can't be changed in private chats")
    if not chat.bot_member:
        raise bad_request("bot is not a member of the chat")
    chat.bot_member = False
    chat.bot_left = True
    member_update(call.world, chat, call.world.bot_user, "member", "left")
    return True


@method("createForumTopic")
async def create_forum_topic(call: Call) -> dict[str, Any]:
    chat = call.world.writable_chat(call.require("chat_id"))
    # Bots may open topics in private chats too (Bot API 9.x); groups must be forums.
    if not chat.is_private and not chat.info.get("is_forum"):
        raise bad_request("the chat is not a forum")
    name = str(call.require("name", "topic name is empty"))
    if len(name) > MAX_TOPIC_NAME:
        raise bad_request("topic name is too long")
    created = {"name": name, "icon_color": call.get("icon_color") or DEFAULT_TOPIC_COLOR}
    if call.get("icon_custom_emoji_id"):
        created["icon_custom_emoji_id"] = call.get("icon_custom_emoji_id")
    # Like Telegram, the topic's id is the id of the service message that opens it.
    service = call.world.add_message(
        chat, call.world.bot_user, {"forum_topic_created": created, "is_topic_message": True}
    )
    topic = {"message_thread_id": service["message_id"], **created}
    service["message_thread_id"] = topic["message_thread_id"]
    chat.topics[topic["message_thread_id"]] = topic
    return topic

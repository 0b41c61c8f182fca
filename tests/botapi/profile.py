"""The bot's own profile: identity, session, command lists, menu button."""

from __future__ import annotations

import json
import re
from typing import Any

from .protocol import Call, bad_request, method

COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_COMMANDS = 100
MAX_DESCRIPTION = 256
DEFAULT_MENU_BUTTON = {"type": "commands"}


def commands_key(scope: dict[str, Any] | None, language_code: str | None) -> tuple[str, str]:
    """Telegram keeps one command list per scope and language; the default scope is implicit."""
    scope = scope or {"type": "default"}
    return json.dumps(scope, sort_keys=True), language_code or ""


@method("getMe")
async def get_me(call: Call) -> dict[str, Any]:
    return call.world.bot_user


@method("logOut")
async def log_out(call: Call) -> bool:
    return True


@method("close")
async def close(call: Call) -> bool:
    return True


def _checked_commands(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > MAX_COMMANDS:
        raise bad_request("can't parse commands JSON object")
    for command in value:
        if not isinstance(command, dict) or not COMMAND.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= MAX_DESCRIPTION:
            raise bad_request("command description is empty or too long")
    return [{"command": c["command"], "description": c["description"]} for c in value]


@method("setMyCommands")
async def set_my_commands(call: Call) -> bool:
    commands = _checked_commands(call.get("commands"))
    key = commands_key(call.get("scope"), call.get("language_code"))
    if commands:
        call.world.commands[key] = commands
    else:
        call.world.commands.pop(key, None)  # an empty list means "delete" in Telegram
    return True


@method("getMyCommands")
async def get_my_commands(call: Call) -> list[dict[str, Any]]:
    key = commands_key(call.get("scope"), call.get("language_code"))
    return call.world.commands.get(key, [])


@method("deleteMyCommands")
async def delete_my_commands(call: Call) -> bool:
    call.world.commands.pop(commands_key(call.get("scope"), call.get("language_code")), None)
    return True


@method("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> bool:
    chat_id = call.get("chat_id")
    if chat_id is not None:
        call.world.chat(chat_id)
    button = call.get("menu_button") or DEFAULT_MENU_BUTTON
    if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse menu button JSON object")
    call.world.menu_buttons[chat_id] = button
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> dict[str, Any]:
    buttons = call.world.menu_buttons
    return buttons.get(call.get("chat_id"), buttons.get(None, DEFAULT_MENU_BUTTON))

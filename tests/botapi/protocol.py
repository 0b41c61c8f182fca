"""The Bot API wire protocol: reading parameters, Telegram's error shape, the method registry."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .delivery import Delivery
    from .world import World

# Nested values arrive JSON-encoded in form fields; only these are decoded, so a text
# that happens to look like JSON ("123", "[1]") stays the string the client sent.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
        "media",
        "message_ids",
        "reaction",
        "menu_button",
    }
)
INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "offset",
        "limit",
        "user_id",
        "max_connections",
        "duration",
        "message_thread_id",
        "reply_to_message_id",
        "width",
        "height",
        "icon_color",
        "cache_time",
    }
)
FLOAT_FIELDS = frozenset({"timeout", "latitude", "longitude", "horizontal_accuracy"})
BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "show_alert",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "has_spoiler",
        "is_big",
        "show_caption_above_media",
        "disable_content_type_detection",
        "allow_paid_broadcast",
        "supports_streaming",
    }
)


class ApiError(Exception):
    """A Bot API error answer: `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


@dataclass(frozen=True)
class Upload:
    """A file uploaded in a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """One Bot API method call: its parameters and the state it acts on."""

    world: World
    delivery: Delivery
    params: dict[str, Any]
    token: str

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def require(self, name: str, missing: str | None = None) -> Any:
        value = self.params.get(name)
        if value is None or value == "":
            raise bad_request(missing or f"{name} is empty")
        return value


Handler = Callable[[Call], Awaitable[Any]]
# lower-case method name -> (canonical name, handler); Telegram matches names case-insensitively.
METHODS: dict[str, tuple[str, Handler]] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    """Register a coroutine as the implementation of the Bot API method `name`."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


def _convert(name: str, value: Any) -> Any:
    if isinstance(value, str):
        if name in JSON_FIELDS:
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        if name in INT_FIELDS:
            try:
                return int(value)
            except ValueError:
                if name == "chat_id":
                    return value  # "@channelname" is a valid chat_id
                raise bad_request(f"invalid {name} specified") from None
        if name in FLOAT_FIELDS:
            try:
                return float(value)
            except ValueError:
                raise bad_request(f"invalid {name} specified") from None
        if name in BOOL_FIELDS:
            return value.lower() in ("true", "1")
    return value


def convert_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Type the raw parameter values the way Telegram reads them."""
    return {name: _convert(name, value) for name, value in raw.items()}


async def read_params(request: web.Request) -> dict[str, Any]:
    """Read parameters from the query string, a urlencoded or multipart form, or a JSON body."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON body") from None
        if not isinstance(body, dict):
            raise bad_request("JSON body must be an object")
        raw.update(body)
    elif request.method == "POST":
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                raw[name] = Upload(value.filename, value.content_type, data)
            else:
                raw[name] = value
    return convert_params(raw)


def answer(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def error_answer(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.code)

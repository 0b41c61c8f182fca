"""HTTP control API under /_test/, so a bot in another process (or a human) can be driven."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .server import FakeBotApi

REVISION_HEADER = "X-Chat-Revision"


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


def add_control_routes(app: web.Application, api: FakeBotApi) -> None:
    """Register the /_test/ routes on `app`, acting on `api`."""

    def user_from(request: web.Request, body: dict[str, Any]) -> Any:
        return api.user(
            int(request.match_info["user_id"]),
            body.get("first_name"),
            username=body.get("username"),
            language_code=body.get("language_code"),
        )

    async def send(request: web.Request) -> web.Response:
        """POST {"text" or "voice" (seconds), "language_code"?, "first_name"?, "username"?}:
        the user sends text, or a voice message."""
        body = await _body(request)
        if not body.get("text") and not body.get("voice"):
            return _problem(400, "text or voice is required")
        user = user_from(request, body)
        revision = user.chat.revision
        if body.get("voice"):
            message = await user.send_voice(duration=int(body["voice"]))
        else:
            message = await user.send_text(str(body["text"]))
        return web.json_response({"message": message, "revision": revision})

    async def press(request: web.Request) -> web.Response:
        """POST {"text"}: the user presses the button with that text or callback_data."""
        body = await _body(request)
        user = user_from(request, body)
        revision = user.chat.revision
        try:
            pressed = await user.press(str(body.get("text", "")))
        except AssertionError as exc:
            return _problem(400, str(exc))
        return web.json_response({"pressed": pressed, "revision": revision})

    async def chat_messages(request: web.Request) -> web.Response:
        """GET ?since=REVISION: bot messages in the chat (changed since that revision)."""
        chat = api.world.chats.get(int(request.match_info["chat_id"]))
        if chat is None:
            return _problem(404, "chat not found")
        since = int(request.query.get("since", -1))
        result = [m for m in chat.received() if chat.changed_at[m["message_id"]] > since]
        return web.json_response(result, headers={REVISION_HEADER: str(chat.revision)})

    async def faults(request: web.Request) -> web.Response:
        """POST {"method", "kind", "times", "chat_id", "retry_after", "seconds", ...}."""
        body = await _body(request)
        try:
            fault = api.fail(**body)
        except (TypeError, ValueError) as exc:
            return _problem(400, str(exc))
        return web.json_response(fault.as_dict())

    async def reject_token(request: web.Request) -> web.Response:
        """POST {"token"}: that token gets 401 from now on."""
        api.reject_token(str((await _body(request)).get("token", "")))
        return web.json_response({"ok": True})

    async def webhook(request: web.Request) -> web.Response:
        """GET: getWebhookInfo plus every delivery attempt."""
        info = api.delivery.info()
        info["deliveries"] = [list(d) for d in api.webhook_deliveries]
        return web.json_response(info)

    app.router.add_post("/_test/users/{user_id}/send", send)
    app.router.add_post("/_test/users/{user_id}/press", press)
    app.router.add_get("/_test/chats/{chat_id}/messages", chat_messages)
    app.router.add_post("/_test/faults", faults)
    app.router.add_post("/_test/tokens/reject", reject_token)
    app.router.add_get("/_test/webhook", webhook)

"""Command line: run the local Bot API, or talk to a bot through it as a user.

python -m tests.botapi serve [--host 127.0.0.1] [--port 8081]
python -m tests.botapi say --user 42 [--lang nl] "hallo"
python -m tests.botapi press --user 42 English      (or the button's number: 2)
python -m tests.botapi voice --user 42 [--seconds 5]   (a voice message)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from .people import buttons, describe
from .server import FakeBotApi

DEFAULT_SERVER = "http://127.0.0.1:8081"
REPLY_TIMEOUT = 5.0  # seconds to wait for the first reply
QUIET_AFTER = 0.7  # a reply is complete after this much silence
POLL_EVERY = 0.1


async def serve(host: str, port: int) -> None:
    async with FakeBotApi(host, port) as api:
        print(
            f"Local Bot API on {api.url} — use TELEGRAM_API_URL={api.base_url} "
            "and any token like 123456:TEST",
            flush=True,
        )
        await asyncio.Event().wait()  # until Ctrl-C


def _request(url: str, body: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        problem = json.loads(exc.read() or b"{}").get("error", exc.reason)
        raise SystemExit(f"error: {problem}") from None
    except urllib.error.URLError as exc:
        raise SystemExit(f"error: no Bot API test server at {url} ({exc.reason})") from None


def render(message: dict[str, Any], first_number: int = 1) -> str:
    """The message as a person would read it, buttons numbered as `[1] Nederlands`."""
    lines = [describe(message)]
    labels = [b["text"] for b in buttons(message)]
    if labels:
        lines.append("  ".join(f"[{first_number + i}] {t}" for i, t in enumerate(labels)))
    return "\n".join(lines)


def await_replies(server: str, chat_id: int, since: int) -> list[dict[str, Any]]:
    """Poll until the bot went quiet after its first reply, or until REPLY_TIMEOUT."""
    url = f"{server}/_test/chats/{chat_id}/messages?since={since}"
    started = last_change = time.monotonic()
    seen: list[dict[str, Any]] = []
    while True:
        time.sleep(POLL_EVERY)
        now = time.monotonic()
        current, _ = _request(url)
        if current != seen:
            seen, last_change = current, now
        if seen and now - last_change >= QUIET_AFTER:
            return seen
        if not seen and now - started >= REPLY_TIMEOUT:
            return seen


def show(messages: list[dict[str, Any]]) -> int:
    if not messages:
        print(f"(no reply within {REPLY_TIMEOUT:g} s)")
        return 1
    for message in messages:
        print(render(message))
    return 0


def say(server: str, user: int, text: str, lang: str | None) -> int:
    body: dict[str, Any] = {"text": text}
    if lang:
        body["language_code"] = lang
    sent, _ = _request(f"{server}/_test/users/{user}/send", body)
    return show(await_replies(server, user, sent["revision"]))


def press(server: str, user: int, label: str) -> int:
    if label.isdigit():  # a number as shown by `say`: the n-th button of the latest keyboard
        messages, _ = _request(f"{server}/_test/chats/{user}/messages")
        keyboards = [buttons(m) for m in messages if buttons(m)]
        if keyboards and 1 <= int(label) <= len(keyboards[-1]):
            label = keyboards[-1][int(label) - 1]["text"]
    pressed, _ = _request(f"{server}/_test/users/{user}/press", {"text": label})
    return show(await_replies(server, user, pressed["revision"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.botapi",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the local Bot API server")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8081)
    serve_cmd.add_argument("-v", "--verbose", action="store_true", help="log every request")
    voice_cmd = commands.add_parser("voice", help="send a voice message as the user")
    voice_cmd.add_argument("--server", default=DEFAULT_SERVER)
    voice_cmd.add_argument("--user", type=int, required=True)
    voice_cmd.add_argument("--seconds", type=int, default=5)
    for name, what in (("say", "send TEXT as the user"), ("press", "press a button")):
        cmd = commands.add_parser(name, help=what)
        cmd.add_argument("--server", default=DEFAULT_SERVER)
        cmd.add_argument("--user", type=int, required=True)
        if name == "say":
            cmd.add_argument("--lang", help="the user's language_code, e.g. nl")
            cmd.add_argument("text", nargs="+")
        else:
            cmd.add_argument("label", nargs="+", help="button text, callback_data or number")
    args = parser.parse_args(argv)
    server = getattr(args, "server", "").rstrip("/")
    if args.command == "serve":
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(args.host, args.port))
        return 0
    if args.command == "say":
        return say(server, args.user, " ".join(args.text), args.lang)
    if args.command == "voice":
        sent, _ = _request(f"{server}/_test/users/{args.user}/send", {"voice": args.seconds})
        return show(await_replies(server, args.user, sent["revision"]))
    return press(server, args.user, " ".join(args.label))


if __name__ == "__main__":
    sys.exit(main())

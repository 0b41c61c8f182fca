"""Logging set-up: quiet HTTP clients, no secret and nothing about a person in a log line.

Our own code logs ids, counts and error classes only. The libraries (PTB, httpx, SQLAlchemy,
aiohttp, APScheduler, asyncio) may put whatever they were handling into a line: PTB once
logged a whole batch of updates with names and texts. So for them only the fixed part of a
line is kept, never the values filled into it; and no traceback anywhere carries an error's
own words (a ValueError can quote a message), only where it happened and its class.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OUR_PACKAGES = ("bot", "handlers", "flows", "storage", "__main__")
VALUE = "[…]"
MAX_LINE = 1000  # characters; a longer line is cut
MAX_FRAMES = 12  # of a traceback, per error in its chain
LOG_FORMATS = ("text", "json")


class RedactSecrets(logging.Filter):
    """Replaces known secrets (the bot token) wherever they would appear in a record."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


def is_ours(logger_name: str) -> bool:
    return logger_name.split(".", 1)[0] in OUR_PACKAGES


def without_values(record: logging.LogRecord) -> str:
    """A library's line with every value that was filled into it replaced."""
    template = str(record.msg)
    if not record.args:
        return template
    count = len(record.args) if isinstance(record.args, tuple) else 1
    try:
        return template % ((VALUE,) * count)
    except (TypeError, ValueError, KeyError):
        return template


def plain_traceback(
    kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
) -> str:
    """Where it happened and the error's class, for every error in the chain; not its words."""
    if error is None:
        return ""
    lines: list[str] = []
    seen: set[int] = set()
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    for index, item in enumerate(reversed(chain)):
        if index:
            lines.append("\nwhich led to:\n")
        lines.append("Traceback (most recent call last):\n")
        frames = traceback.extract_tb(item.__traceback__ if item is not error else tb)
        if len(frames) > MAX_FRAMES:  # the innermost ones say where it broke
            lines.append(f"  … {len(frames) - MAX_FRAMES} outer frames left out\n")
        lines.extend(traceback.format_list(frames[-MAX_FRAMES:]))
        lines.append(f"{type(item).__module__}.{type(item).__qualname__}\n")
    return "".join(lines).rstrip("\n")


class LibraryValues(logging.Filter):
    """Keeps only the fixed part of the libraries' lines (runs before anything reads them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not is_ours(record.name):
            record.msg, record.args = without_values(record), None
        return True


class PrivateFormatter(logging.Formatter):
    """The house format; tracebacks without the errors' words; long lines cut."""

    def format(self, record: logging.LogRecord) -> str:
        cached, record.exc_text = record.exc_text, None  # another handler's rendering
        try:
            line = super().format(record)
        finally:
            record.exc_text = cached
        return line if len(line) <= MAX_LINE * 20 else line[: MAX_LINE * 20] + " […]"

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        return line if len(line) <= MAX_LINE else line[:MAX_LINE] + " […]"

    def formatException(self, ei: ExcInfo) -> str:
        return plain_traceback(*ei)


class JsonFormatter(logging.Formatter):
    """One JSON object per line (time, level, logger, message; for errors the traceback),
    cut like the house format and with the same plain tracebacks."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _cut(record.getMessage(), MAX_LINE),
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["traceback"] = _cut(plain_traceback(*record.exc_info), MAX_LINE * 20)
        # Cut before encoding, so the line stays valid JSON; json.dumps escapes newlines.
        return json.dumps(entry, ensure_ascii=False)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " […]"


def configure_logging(
    secrets: list[str], level: int = logging.INFO, log_format: str = "text"
) -> None:
    """Log to stderr in the house format, or as JSON lines with LOG_FORMAT=json."""
    handler = logging.StreamHandler(sys.stderr)
    json_lines = log_format == "json"
    handler.setFormatter(JsonFormatter() if json_lines else PrivateFormatter(LOG_FORMAT))
    handler.addFilter(LibraryValues())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

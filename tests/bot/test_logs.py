"""LOG_FORMAT=json: one JSON object per line, with the same rule as the text format: no line
carries what a parent wrote, a library's values or an error's words."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import StartupError
from bot.logs import (
    MAX_LINE,
    JsonFormatter,
    LibraryValues,
    PrivateFormatter,
    RedactSecrets,
    configure_logging,
)
from bot.settings import load_settings

PARENT_TEXT = "my husband hits the children, call me on +31612345678"


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of ours and a library's, writing JSON lines into one stream."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(LibraryValues())
    handler.addFilter(RedactSecrets(["123456:TOKEN"]))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield logging.getLogger("bot.test"), stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def entries(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_is_valid_json_and_carries_no_parent_text(
    lines: tuple[logging.Logger, io.StringIO],
) -> None:
    ours, stream = lines
    ours.info("update %s handled in %s ms", 42, 7)
    logging.getLogger("telegram.ext").debug("sending %s to chat %s", PARENT_TEXT, 7_350_100_000)
    try:
        raise ValueError(PARENT_TEXT)
    except ValueError:
        ours.exception("update %s failed", 43)
    ours.warning("line one\nline two with the token 123456:TOKEN")
    ours.info("x" * (MAX_LINE * 3))

    found = entries(stream)
    assert len(found) == len(stream.getvalue().splitlines()) == 5  # one object a line
    first = found[0]
    assert first["message"] == "update 42 handled in 7 ms"
    assert (first["level"], first["logger"]) == ("INFO", "bot.test")
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert found[1]["message"] == "sending […] to chat […]"  # a library keeps its fixed part
    assert found[2]["message"] == "update 43 failed"
    assert "test_logs.py" in found[2]["traceback"] and "ValueError" in found[2]["traceback"]
    assert found[3]["message"] == "line one\nline two with the token [redacted]"
    assert len(found[4]["message"]) < MAX_LINE + 10 and found[4]["message"].endswith("[…]")
    assert "traceback" not in found[0]
    for line in stream.getvalue().splitlines():
        for secret in ("husband", "31612345678", "7350100000", "123456:TOKEN"):
            assert secret not in line


@pytest.fixture
def root_handlers() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


def test_configure_logging_chooses_the_format(root_handlers: None) -> None:
    configure_logging(["secret"], logging.INFO, "json")
    [handler] = logging.getLogger().handlers
    assert isinstance(handler.formatter, JsonFormatter)
    assert {type(f) for f in handler.filters} == {LibraryValues, RedactSecrets}
    configure_logging(["secret"])
    [handler] = logging.getLogger().handlers
    assert type(handler.formatter) is PrivateFormatter


def test_log_format_setting(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().log_format == "text"
    monkeypatch.setenv("LOG_FORMAT", " JSON ")
    assert load_settings().log_format == "json"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(StartupError, match=r"^LOG_FORMAT must be text or json: fix it"):
        load_settings()

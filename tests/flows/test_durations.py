"""Durations as coordinators write them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 2D ", timedelta(days=2)),
    ],
)
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["4", "h", "4 hours", "-1h", "1.5h", "1h1h", ""])
def test_refused_with_a_hint(text: str) -> None:
    with pytest.raises(ValueError, match="30s, 15m, 4h, 2d"):
        parse_duration(text)

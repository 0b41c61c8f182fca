"""Plain durations as coordinators write them: 30s, 15m, 4h, 2d, 1w, or 1h30m."""

from __future__ import annotations

import re
from datetime import timedelta

UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
PART = re.compile(r"(\d+)([wdhms])")
WHOLE = re.compile(r"^(?:\d+[wdhms])+$")
HINT = "write a duration such as 30s, 15m, 4h, 2d or 1h30m"


def parse_duration(text: object) -> timedelta:
    if isinstance(text, timedelta):
        return text
    value = str(text).strip().lower().replace(" ", "")
    if not WHOLE.match(value):
        raise ValueError(HINT)
    parts: dict[str, int] = {}
    for number, unit in PART.findall(value):
        if UNITS[unit] in parts:
            raise ValueError(f"'{unit}' appears twice: {HINT}")
        parts[UNITS[unit]] = int(number)
    return timedelta(**parts)


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(out) or "0s"

"""A text longer than one Telegram message goes in parts, in order, with its formatting.

A parent may send 4,096 characters; the alias line the relay puts above a copy can push it
over Telegram's limit. Nothing is cut off: the copy goes in as many parts as it needs."""

from __future__ import annotations

from flows.limits import TELEGRAM_TEXT_LIMIT

Entity = tuple[str, int, int]  # kind, offset and length, in UTF-16 code units


def utf16_length(text: str) -> int:
    """Telegram counts lengths and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def in_parts(
    head: str,
    body: str,
    entities: list[Entity] | tuple[Entity, ...] = (),
    limit: int = TELEGRAM_TEXT_LIMIT,
) -> list[tuple[str, list[Entity]]]:
    """`head` above `body` (entities relative to `body`), as messages of at most `limit`
    units; every part starts with `head`, and each entity is kept where its text went."""
    lead = f"{head}\n" if head else ""
    shift = utf16_length(lead)
    room = limit - shift
    if room <= 0:
        raise ValueError("the head alone fills a message")
    pieces: list[tuple[int, str]] = []  # (offset of the piece in the body, the piece)
    start, rest = 0, body
    while utf16_length(rest) > room:
        piece = rest[: _cut(rest, room)]
        pieces.append((start, piece))
        start, rest = start + utf16_length(piece), rest[len(piece) :]
    pieces.append((start, rest))
    parts = []
    for offset, piece in pieces:
        end = offset + utf16_length(piece)
        kept = []
        for kind, at, length in entities:
            first, last = max(at, offset), min(at + length, end)
            if first < last:
                kept.append((kind, first - offset + shift, last - first))
        parts.append((lead + piece, kept))
    return parts


def _cut(text: str, room: int) -> int:
    """Where to end a part: at most `room` units, at a line break or space near the end."""
    end, units = 0, 0
    while end < len(text):
        units += 2 if ord(text[end]) > 0xFFFF else 1
        if units > room:
            break
        end += 1
    else:
        return len(text)
    near = max(text.rfind("\n", end * 4 // 5, end), text.rfind(" ", end * 4 // 5, end))
    return near + 1 if near > 0 else end

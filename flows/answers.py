"""Tests for free-text answers: text, yes_no, number, pattern, length."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from flows.limits import MAX_ANSWER_LENGTH

DIRECTION_MARKS = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
# "yes"/"no" as parents type them, per language; buttons are offered as well.
YES = {
    "ja",
    "j",
    "jawel",
    "yes",
    "y",
    "yeah",
    "evet",
    "e",
    "tak",
    "так",
    "haa",
    "haa'",
    "እወ",
    "wah",
    "ih",
    "نعم",
    "ايوه",
    "أيوه",
    "اه",
    "oui",
    "si",
}
NO = {
    "nee",
    "n",
    "neen",
    "no",
    "nope",
    "hayır",
    "hayir",
    "h",
    "nie",
    "ні",
    "maya",
    "ma",
    "ኣይፋል",
    "ala",
    "uhu",
    "لا",
    "non",
}


def normalise(text: str) -> str:
    """NFKC, without direction marks, case-folded and trimmed: how typed text is compared."""
    return unicodedata.normalize("NFKC", text).translate(DIRECTION_MARKS).casefold().strip()


def is_symbol(char: str) -> bool:
    """An emoji, symbol, joiner or variation selector; "ℹ" too, which Unicode calls a letter."""
    return unicodedata.category(char) in ("So", "Sk", "Mn", "Cf") or char == "\u2139"


def without_symbol(label: str) -> str:
    """A button's words without the emoji or symbol in front of them."""
    start = 0
    while start < len(label) and (label[start].isspace() or is_symbol(label[start])):
        start += 1
    return label[start:]


def label_key(text: str) -> str:
    """How a typed answer is matched to a button: as `normalise`, without the emoji or
    symbol a label starts with ("🤝 Maakt niet uit" is typed as "maakt niet uit")."""
    return normalise(without_symbol(text))


Check = Callable[[str, Any], tuple[bool, Any]]  # (accepted, value to save)


def _text(answer: str, arg: Any) -> tuple[bool, Any]:
    value = answer.strip()
    return 0 < len(value) <= MAX_ANSWER_LENGTH, value


def _yes_no(answer: str, arg: Any) -> tuple[bool, Any]:
    word = normalise(answer).rstrip(".!")
    if word in YES:
        return True, True
    if word in NO:
        return True, False
    return False, None


def _number(answer: str, arg: Any) -> tuple[bool, Any]:
    digits = normalise(answer)
    if not re.fullmatch(r"\d{1,6}", digits):
        return False, None
    value = int(digits)
    low, high = (arg or [None, None]) if isinstance(arg, list) else (None, None)
    ok = (low is None or value >= low) and (high is None or value <= high)
    return ok, value


def _pattern(answer: str, arg: Any) -> tuple[bool, Any]:
    value = answer.strip()
    return bool(re.fullmatch(str(arg), value)), value


def _length(answer: str, arg: Any) -> tuple[bool, Any]:
    value = answer.strip()
    low, high = arg if isinstance(arg, list) and len(arg) == 2 else (1, MAX_ANSWER_LENGTH)
    return low <= len(value) <= high, value


TESTS: dict[str, Check] = {
    "text": _text,
    "yes_no": _yes_no,
    "number": _number,
    "pattern": _pattern,
    "length": _length,
}


def check_arg(test: str, arg: Any) -> str | None:
    """A plain-language problem with a test's argument, or None."""
    if test not in TESTS:
        return f"unknown answer test {test!r}; use one of {', '.join(TESTS)}"
    if test == "pattern":
        try:
            re.compile(str(arg))
        except re.error as error:
            return f"the pattern does not work: {error}"
    if (
        test in ("length", "number")
        and arg is not None
        and not (isinstance(arg, list) and len(arg) == 2)
    ):
        return f"'{test}' takes [lowest, highest]"
    return None

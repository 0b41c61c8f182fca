"""Checks a translator's work cannot slip past: the script, numbers, commands, placeholders;
and `i18n status`: coverage per language and per flow, and whether a native speaker reviewed."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LOCALES_DIR, REVIEW_MARK, is_flow_text
from flows.answers import is_symbol

SCRIPTS: dict[str, tuple[tuple[int, int], ...]] = {
    "arabic": ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    "cyrillic": ((0x0400, 0x04FF), (0x0500, 0x052F)),
    "ethiopic": ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F)),
    "latin": ((0x0041, 0x024F), (0x0250, 0x02AF), (0x1E00, 0x1EFF), (0x03B5, 0x03B5)),
}
SCRIPT_OF = {"ar": "arabic", "uk": "cyrillic", "ti": "ethiopic"}  # the others: Latin
NUMBER = re.compile(r"\d+(?:-\d+)*")
COMMAND = re.compile(r"(?<!\w)/[a-z_]+")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(?:\([^)]*\))?[sd]")
MIN_SHARE = 0.8


@dataclass(frozen=True)
class CatalogProblem:
    language: str
    context: str | None
    message: str

    def __str__(self) -> str:
        where = f" [{self.context}]" if self.context else ""
        return f"{self.language}{where}: {self.message}"


def read_catalog(code: str, locales: Path = LOCALES_DIR) -> Catalog:
    with (locales / code / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        return read_po(handle)


def in_script(char: str, script: str) -> bool:
    return any(low <= ord(char) <= high for low, high in SCRIPTS[script])


def _letters_outside_carried_words(source: str, translation: str) -> list[str]:
    """Letters of the translation, without Latin words carried over from the source
    (names such as Tussen In, Veilig Thuis, CJG; commands)."""
    carried = {w.casefold() for w in re.findall(r"[A-Za-z]+", source)}
    kept = [w for w in re.findall(r"\w+", translation) if w.casefold() not in carried]
    # A button's emoji is no letter, "ℹ" included (which Unicode calls one).
    return [
        c for w in kept for c in w if unicodedata.category(c).startswith("L") and not is_symbol(c)
    ]


def check_entry(code: str, context: str | None, source: str, text: str) -> list[CatalogProblem]:
    out = []

    def problem(message: str) -> None:
        out.append(CatalogProblem(code, context, message))

    script = SCRIPT_OF.get(code, "latin")
    letters = _letters_outside_carried_words(source, text)
    if letters:
        share = sum(in_script(c, script) for c in letters) / len(letters)
        if share < MIN_SHARE:
            problem(f"not in {script} script ({share:.0%} of the letters are): {text[:40]!r}")
    if sorted(NUMBER.findall(source)) != sorted(NUMBER.findall(text)):
        problem(f"numbers changed: {NUMBER.findall(source)} became {NUMBER.findall(text)}")
    if sorted(COMMAND.findall(source)) != sorted(COMMAND.findall(text)):
        problem(f"commands changed: {COMMAND.findall(source)} became {COMMAND.findall(text)}")
    if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
        problem(
            f"placeholders changed: {PLACEHOLDER.findall(source)} became "
            f"{PLACEHOLDER.findall(text)}"
        )
    return out


def check_catalog(code: str, catalog: Catalog) -> list[CatalogProblem]:
    out = []
    for message in catalog:
        if message.id and isinstance(message.id, tuple):
            out += _check_plural(code, message)
            continue
        if not message.id or not isinstance(message.string, str) or not message.string:
            continue
        if message.context == "control words":
            continue  # word lists: checked by use, not by shape
        out += check_entry(code, message.context, str(message.id), message.string)
        flow_text = is_flow_text(message.context)
        words = len(str(message.id).split())  # a name such as "Tussen In" may stay as it is
        if flow_text and code != "nl" and message.string == message.id and words >= 3:
            out.append(CatalogProblem(code, message.context, "still the Dutch source text"))
    return out


def _check_plural(code: str, message: Message) -> list[CatalogProblem]:
    """Each plural form against the plural source; a form for one may say the number in a
    word ("one question"), so only {count} may be missing from it."""
    out = []
    source = str(message.id[1])
    for form in message.string if isinstance(message.string, tuple) else ():
        if not form:
            continue
        for problem in check_entry(code, message.context, source, form):
            rest = sorted(p for p in PLACEHOLDER.findall(source) if p != "{count}")
            shown = sorted(p for p in PLACEHOLDER.findall(form) if p != "{count}")
            if problem.message.startswith("placeholders changed") and rest == shown:
                continue
            out.append(problem)
    return out


def _translated(message: Message) -> bool:
    if message.fuzzy:
        return False
    if isinstance(message.string, tuple):
        return bool(message.string) and all(message.string)
    return isinstance(message.string, str) and bool(message.string)


def reviewed(catalog: Catalog) -> bool:
    header = catalog.header_comment or ""
    for line in header.splitlines():
        if REVIEW_MARK in line:
            return line.split(REVIEW_MARK, 1)[1].strip().lower().startswith("yes")
    return False


def coverage(catalog: Catalog, prefix: str | None = None) -> tuple[int, int]:
    """(translated and not fuzzy, all) — of one flow's texts when `prefix` is 'flow:'."""
    entries = [
        m for m in catalog if m.id and (prefix is None or (m.context or "").startswith(prefix))
    ]
    done = [m for m in entries if _translated(m)]
    return len(done), len(entries)


def check_message(code: str, message: Message) -> list[CatalogProblem]:
    """One entry as `i18n check` checks it in its catalog (a catalog of one: the same rules,
    word lists and plural forms included)."""
    alone = Catalog(locale=None)
    alone[message.id] = message
    return check_catalog(code, alone)


PROBLEM_KINDS = {
    "not in ": "script",
    "numbers changed": "numbers",
    "commands changed": "commands",
    "placeholders changed": "placeholders",
    "still the Dutch source text": "source",
}


def problem_kind(problem: CatalogProblem) -> str:
    """What a problem is about: script, numbers, commands, placeholders, source (a flow text
    left in Dutch); "" for another."""
    return next(
        (kind for start, kind in PROBLEM_KINDS.items() if problem.message.startswith(start)), ""
    )

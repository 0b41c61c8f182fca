"""A published version as the history lists it (settings and flows alike): who published it
and from where, and whether it is the one in use."""

from __future__ import annotations

from dataclasses import dataclass

from console.words import Words
from storage import UnitOfWork
from storage.published import CONSOLE, Version


@dataclass(frozen=True)
class Line:
    """One published version as a list shows it."""

    version: Version
    source: str  # "the console", "the files"
    by: str  # "Sanne de Vries (7)"; "" when from the files
    in_use: bool


async def lines_of(
    uow: UnitOfWork, words: Words, versions: list[Version], in_use: int
) -> list[Line]:
    """`versions` as lines; `in_use`: the id of the version served (-1: none is)."""
    names: dict[int, str] = {}
    lines = []
    for version in versions:
        by = ""
        if version.person_id is not None:
            if version.person_id not in names:
                person = await uow.people.get(version.person_id)
                names[version.person_id] = person.name if person else "?"
            by = f"{names[version.person_id]} ({version.person_id})"
        source = (
            words.gettext("the console")
            if version.source == CONSOLE
            else words.gettext("the files")
        )
        lines.append(Line(version, source, by, version.id == in_use))
    return lines

"""The one place that decides who may see and do what in the console.

Every route names what it needs with @requires; a route that names nothing is refused to
everyone but the few public ones (the login page and the style sheet). A test walks every
route without a session, and with a session, to hold this.

A VP given the reviewer role opens the translations of their own languages and nothing
else: the organisation's native speakers review the bot's words."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from aiohttp import web

from bot.services.languages import LANGUAGES
from bot.services.staff import COORDINATOR, VP
from storage.records import Person

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
NEEDS = "__console_needs__"
REVIEWER = "reviewer"  # not a role of its own: a VP with the reviewer role


class Permission(Enum):
    CASES = "cases"  # the board, a case's page, reassigning and closing
    PEOPLE = "people"  # VPs and coordinators, invitations
    AUDIT = "audit"  # the audit log and its export
    SETTINGS = "settings"  # the coordinator's settings: form, history, partners
    FLOWS = "flows"  # the flows: diagram, check, try, publish, history, roll back
    TRANSLATIONS = "translations"  # the catalogs: edit, mark reviewed
    OWN_SESSIONS = "own sessions"  # one's own sessions, logout
    PUBLIC = "public"  # no session needed: the login page, the style sheet


GRANTS: dict[str, frozenset[Permission]] = {
    COORDINATOR: frozenset(
        {
            Permission.CASES,
            Permission.PEOPLE,
            Permission.AUDIT,
            Permission.SETTINGS,
            Permission.FLOWS,
            Permission.TRANSLATIONS,
            Permission.OWN_SESSIONS,
        }
    ),
    REVIEWER: frozenset({Permission.TRANSLATIONS, Permission.OWN_SESSIONS}),
}


def requires(permission: Permission) -> Callable[[Handler], Handler]:
    def mark(handler: Handler) -> Handler:
        setattr(handler, NEEDS, permission)
        return handler

    return mark


def needs(handler: Any) -> Permission | None:
    """What a route's handler asked for; None (refused to all) when it forgot to ask."""
    need = getattr(handler, NEEDS, None)
    return need if isinstance(need, Permission) else None


def allows(person: Person | None, permission: Permission | None) -> bool:
    if permission is Permission.PUBLIC:
        return True
    if person is None or permission is None or not person.active:
        return False
    return permission in GRANTS.get(_standing(person), frozenset())


def _standing(person: Person) -> str:
    """Whose grants apply: a reviewing VP's, else their role's (a VP alone has none)."""
    return REVIEWER if person.role == VP and person.reviewer else person.role


def may(person: Person | None) -> Callable[[str], bool]:
    """For the templates: may("cases") says whether to show the link to those pages."""
    return lambda permission: allows(person, Permission(permission))


def translation_languages(person: Person) -> tuple[str, ...]:
    """The languages whose translations this person may open and change: a coordinator
    every one, a reviewer their own."""
    if not allows(person, Permission.TRANSLATIONS):
        return ()
    if _standing(person) == REVIEWER:
        return tuple(code for code in LANGUAGES if code in person.languages)
    return tuple(LANGUAGES)


def home(person: Person) -> str:
    """Where the console opens after login, under /console: the board, or a reviewer's
    translations (their one language's texts at once)."""
    if allows(person, Permission.CASES):
        return "/"
    languages = translation_languages(person)
    return f"/translations/{languages[0]}" if len(languages) == 1 else "/translations"

"""The one place that decides who may see and do what in the console.

Every route names what it needs with @requires; a route that names nothing is refused to
everyone but the few public ones (the login page and the style sheet). A test walks every
route without a session, and with a session, to hold this."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from aiohttp import web

from bot.services.staff import COORDINATOR
from storage.records import Person

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
NEEDS = "__console_needs__"


class Permission(Enum):
    CASES = "cases"  # the board, a case's page, reassigning and closing
    PEOPLE = "people"  # VPs and coordinators, invitations
    AUDIT = "audit"  # the audit log and its export
    SETTINGS = "settings"  # the coordinator's settings: form, history
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
            Permission.TRANSLATIONS,
            Permission.OWN_SESSIONS,
        }
    ),
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
    return permission in GRANTS.get(person.role, frozenset())

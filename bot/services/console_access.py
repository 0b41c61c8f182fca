"""Who may use the coordinators' console: one-time login links sent by the bot, sessions
(random ids, only keyed hashes stored), their CSRF tokens, and the audit of each login.

A session ends when it is idle for `idle_after`, `session_max` after its login, at logout,
when revoked, and at once when its person is deactivated, is no longer staff, or (a VP) no
longer reviews translations."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import Translator
from bot.services.coordinator_settings import Console
from bot.services.privacy import IdentityVault
from bot.services.staff import COORDINATOR, VP
from flows.outputs import Reply
from storage import UnitOfWork
from storage.console import ConsoleSession
from storage.records import Person

LINK_PATH = "/console/login"
CONSOLE_ROLES = (COORDINATOR, VP)  # a VP only with the reviewer role


@dataclass(frozen=True)
class Actor:
    """The person behind a console request, and the session they use."""

    person: Person
    session: ConsoleSession
    csrf: str

    @property
    def number(self) -> int:
        return self.person.id


class ConsoleAccess:
    def __init__(
        self, vault: IdentityVault, timings: Callable[[], Console], public_url: str | None
    ) -> None:
        self._vault = vault
        self.public_url = public_url  # CONSOLE_URL; unset, /console cannot give links
        self._timings = timings  # the coordinator's current settings, which may be reloaded
        self._csrf_key = vault.key("console-csrf")

    @staticmethod
    def may_use(person: Person | None) -> bool:
        """A coordinator, or a VP who reviews the translations of their languages."""
        if person is None or not person.active or person.role not in CONSOLE_ROLES:
            return False
        return person.role != VP or person.reviewer

    @property
    def link_minutes(self) -> int:
        return max(1, int(self._timings().link_valid.total_seconds() // 60))

    async def link(
        self, uow: UnitOfWork, person: Person, now: datetime, base_url: str | None = None
    ) -> str:
        """A new one-time login link for `person`; only its hash is kept. `base_url` is for
        the operator's command line when CONSOLE_URL is unset."""
        base = base_url or self.public_url
        assert base is not None
        code = secrets.token_urlsafe(24)
        expires = now + self._timings().link_valid
        await uow.console.add_link(self._hash("link", code), person.id, expires, now)
        await uow.console.audit(person.id, "login link", "", "", now)
        return f"{base.rstrip('/')}{LINK_PATH}?code={code}"

    async def answer(self, uow: UnitOfWork, person: Person, now: datetime, t: Translator) -> Reply:
        """What /console answers a coordinator or a reviewer: their link, or why there is none."""
        if self.public_url is None:
            return Reply(
                t.gettext(
                    "The console has no web address yet. Ask the operator to set CONSOLE_URL. "
                    "Until then, the operator can make you a link on the server with: "
                    "python -m bot console link"
                )
            )
        link = await self.link(uow, person, now)
        minutes = self.link_minutes
        text = t.ngettext(
            "Your link to the console. It is for you only and works once, within {minutes} minute:",
            "Your link to the console. It is for you only and works once, within {minutes} "
            "minutes:",
            minutes,
        ).format(minutes=minutes)
        return Reply(f"{text}\n{link}")

    async def log_in(
        self, uow: UnitOfWork, code: str, browser: str, now: datetime
    ) -> tuple[str, Person] | None:
        """Uses the link's code once: a new session id for the cookie, or None for a used,
        expired or unknown code, or a person who may not use the console."""
        person_id = await uow.console.use_link(self._hash("link", code[:200]), now)
        person = await uow.people.get(person_id) if person_id is not None else None
        if person is None or not self.may_use(person):
            return None
        session_id = secrets.token_urlsafe(32)
        await uow.console.add_session(self._hash("session", session_id), person.id, browser, now)
        await uow.console.audit(person.id, "login", "", browser[:80], now)
        return session_id, person

    async def actor(self, uow: UnitOfWork, session_id: str, now: datetime) -> Actor | None:
        """The session's person, if the session is still good; it counts as a page seen."""
        session = await uow.console.find_session(self._hash("session", session_id[:200]))
        if session is None:
            return None
        timings = self._timings()
        person = await uow.people.get(session.person_id)
        if (
            now - session.seen_at > timings.idle_after
            or now - session.created_at > timings.session_max
            or not self.may_use(person)
        ):
            await uow.console.end_session(session.id, session.person_id, now)
            return None
        assert person is not None
        await uow.console.seen(session.id, now)
        return Actor(person, session, self.csrf_token(session_id))

    def csrf_token(self, session_id: str) -> str:
        """Bound to the session: a page of another session, or none, cannot make one."""
        return hmac.new(self._csrf_key, session_id.encode(), hashlib.sha256).hexdigest()

    def _hash(self, purpose: str, secret: str) -> str:
        return self._vault.subject_hash(f"console-{purpose}", secret)

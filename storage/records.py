"""Plain objects handed out by the repositories: no session, no lazy loading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Parent:
    id: int
    channel: str
    subject_hash: str
    sealed_chat: str | None
    language: str | None
    stopped_at: datetime | None
    created_at: datetime
    listens: bool | None = None  # hears voice prompts; None: not chosen yet


@dataclass(frozen=True)
class Outgoing:
    """A message to write to the outbox: to whom (keyed hash, sealed chat), what kind, and
    its sealed content."""

    recipient: str
    sealed_chat: str
    kind: str
    sealed_payload: str | None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    recipient: str
    sealed_chat: str
    kind: str
    sealed_payload: str | None
    source: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Task:
    id: int
    kind: str
    due_at: datetime
    subject: str | None
    payload: str
    attempts: int


@dataclass(frozen=True)
class ConversationRecord:
    parent_id: int
    version: str
    flow: str
    node: str
    step: int
    sealed_results: str
    finished: bool


@dataclass(frozen=True)
class Case:
    id: int
    alias: str
    parent_id: int
    topic: str | None
    language: str
    urgent: bool
    gender_pref: str
    sealed_answers: str
    status: str
    vp_id: int | None
    created_at: datetime
    outcome: str | None = None
    accepted_at: datetime | None = None
    first_contact_at: datetime | None = None
    closed_at: datetime | None = None
    sealed_reveal: str | None = None
    breached_at: datetime | None = None
    continues_id: int | None = None  # the family's earlier case ("continue with NAME")

    @property
    def relaying(self) -> bool:
        """A VP has it: messages go both ways."""
        return self.status in ("accepted", "in_contact", "referred")


@dataclass(frozen=True)
class Person:
    id: int
    role: str
    name: str
    display_name: str
    languages: tuple[str, ...]
    gender: str
    topics: tuple[str, ...]
    capacity: int
    active: bool
    available: bool
    subject_hash: str = ""
    sealed_chat: str = ""
    last_offer_at: datetime | None = None
    language: str = ""  # chosen with /language; empty: the staff default
    # A coordinator's /record: "flow:node:language" their next voice message is for
    recording: str = ""
    recording_at: datetime | None = None
    reviewer: bool = False  # a VP who reviews the translations of their languages
    partner_id: str = ""  # a professional (role "partner"): their organisation
    away_until: datetime | None = None  # /away DD-MM: available again from then


@dataclass(frozen=True)
class Copy:
    """One relayed copy: the case, who got it, and the original it was copied from."""

    case_id: int
    recipient: str
    copy_message_id: int | None
    origin_owner: str
    origin_message_id: int


@dataclass(frozen=True)
class Held:
    id: int
    owner: str
    case_id: int | None
    sealed_payload: str


@dataclass(frozen=True)
class CaseNote:
    """A VP's note on a case: who wrote it, when, and its text, still sealed."""

    id: int
    case_id: int
    person_id: int
    sealed_text: str
    written_at: datetime
    kind: str = "note"  # or "step": a mediation step and its result


@dataclass(frozen=True)
class KeptMessage:
    """A message relayed on an open case, still sealed: by the parent (author None) or by
    the staff member `author_id`."""

    id: int
    case_id: int
    author_id: int | None
    sealed_said: str
    at: datetime


@dataclass(frozen=True)
class Handover:
    """A VP hands a case to a colleague with a sealed note."""

    id: int
    case_id: int
    from_id: int
    to_id: int | None
    sealed_note: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class CaseProfessional:
    """A professional proposed for a case: asked, joined on the parent's yes, ended."""

    id: int
    case_id: int
    person_id: int
    proposed_by: int
    asked_at: datetime
    joined_at: datetime | None
    ended_at: datetime | None
    ended_by: str


@dataclass(frozen=True)
class Referral:
    """A case referred to a partner: when, the appointment day if known, and how the
    check-ins about it went."""

    id: int
    case_id: int
    partner_id: str
    referred_at: datetime
    appointment_on: date | None
    asked_at: datetime | None
    answered_at: datetime | None
    not_yet: int
    reached_at: datetime | None
    stalled_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class Mediation:
    """Care stalled after a referral: the VP's task until they close it."""

    id: int
    case_id: int
    referral_id: int
    reason: str
    opened_at: datetime
    steps: int
    closed_at: datetime | None

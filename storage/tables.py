"""The database tables. Migrations in storage/migrations must follow every change here."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.sql.expression import false
from sqlmodel import Field, SQLModel

from storage.columns import UTCDateTime

# Integer on SQLite, where only INTEGER PRIMARY KEY autoincrements.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


def _utc(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


def _id() -> Column[int]:
    return Column(BIG_ID, primary_key=True, autoincrement=True)


class ParentRow(SQLModel, table=True):
    """A parent, known only by a keyed hash of their channel id; no name, no username."""

    __tablename__ = "parent"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    subject_hash: str = Field(max_length=64, unique=True)
    # The chat id, encrypted with a key derived from SECRET_KEY; needed to write back.
    sealed_chat: str | None = Field(default=None, sa_column=Column(String(512), nullable=True))
    language: str | None = Field(default=None, max_length=8)
    # Set when the parent stops or blocks the bot: nothing more is sent or scheduled.
    stopped_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())
    # Listen or read (#14): True hears each message's voice prompt first; None: not chosen.
    listens: bool | None = Field(default=None, sa_column=Column(Boolean, nullable=True))


class ProcessedUpdate(SQLModel, table=True):
    """Update ids already committed, so a redelivered update changes nothing."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = Field(sa_column=_utc())


class SetAsideUpdate(SQLModel, table=True):
    """An update the bot could not read or kept failing on: its id, type and error class.

    No content: not the text, not who sent it. Its id is also in processed_update.
    """

    __tablename__ = "set_aside_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=32)
    error: str = Field(max_length=64)
    attempts: int
    set_aside_at: datetime = Field(sa_column=_utc())


class BotFact(SQLModel, table=True):
    """Facts about the bot itself (its username from getMe), cached for offline commands."""

    __tablename__ = "bot_fact"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=512)
    updated_at: datetime = Field(sa_column=_utc())


class OutboxMessage(SQLModel, table=True):
    """A message to send, written in the transaction that caused it, sent after commit.

    `recipient` is the keyed hash of the chat (for parents: their subject hash); the chat id
    and the content are sealed, and the content is erased once sent.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_recipient", "recipient", "id"),
        # The claim reads only unsent messages, per chat in order: never the receipts.
        Index(
            "ix_outbox_pending",
            "recipient",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_sender", "sender", "status"),
    )

    id: int | None = Field(default=None, sa_column=_id())
    recipient: str = Field(max_length=64)
    sealed_chat: str = Field(sa_column=Column(String(512), nullable=False))
    kind: str = Field(max_length=32)
    sealed_payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    source: str = Field(max_length=64)
    # The keyed hash of the person whose message caused it (a flood is capped per sender).
    sender: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_utc())
    lease_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    lease_owner: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_column=_utc())
    sent_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class ScheduledTask(SQLModel, table=True):
    """Everything that must happen later: claimed in the database, so it runs once."""

    __tablename__ = "scheduled_task"
    __table_args__ = (
        Index("ix_task_due", "status", "due_at"),
        Index("ix_task_subject", "subject"),
    )

    id: int | None = Field(default=None, sa_column=_id())
    kind: str = Field(max_length=64)
    due_at: datetime = Field(sa_column=_utc())
    subject: str | None = Field(default=None, max_length=64)
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=16)
    attempts: int = 0
    lease_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    lease_owner: str | None = Field(default=None, max_length=64)
    idempotency_key: str | None = Field(default=None, max_length=128, unique=True)
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_column=_utc())
    finished_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class ConversationRow(SQLModel, table=True):
    """Where a parent is in a flow; the answers are sealed. One per parent."""

    __tablename__ = "conversation"

    parent_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("parent.id", ondelete="CASCADE"), primary_key=True)
    )
    version: str = Field(max_length=32)
    flow: str = Field(max_length=32)
    node: str = Field(max_length=32)
    step: int = 0
    sealed_results: str = Field(sa_column=Column(Text, nullable=False))
    finished: bool = False
    updated_at: datetime = Field(sa_column=_utc())
    # Counted once as "stopped here" in the node figures (no input for a day at this node).
    idle_noted: bool = Field(
        default=False,
        sa_column=Column(Boolean, nullable=False, default=False, server_default=false()),
    )


class FlowVersionRow(SQLModel, table=True):
    """A loaded set of flows with its translations, by content hash: conversations that
    started on it finish on it."""

    __tablename__ = "flow_version"

    version: str = Field(primary_key=True, max_length=32)
    snapshot: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_utc())


class CaseRow(SQLModel, table=True):
    """A parent's consented request for a vertrouwenspersoon, shown to VPs by its alias only.

    waiting → offered → accepted → in_contact → closed, or withdrawn."""

    __tablename__ = "cases"
    # Open cases by state and VP (a VP's load, the board) without reading the closed ones.
    __table_args__ = (Index("ix_case_status", "status", "vp_id"),)

    id: int | None = Field(default=None, sa_column=_id())
    alias: str = Field(max_length=8, unique=True)
    parent_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("parent.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    topic: str | None = Field(default=None, max_length=32)
    language: str = Field(max_length=8)
    urgent: bool = False
    gender_pref: str = Field(
        default="", sa_column=Column(String(1), nullable=False, server_default="")
    )
    sealed_answers: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=16)
    vp_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("person.id"), nullable=True)
    )
    # helped, referred_cjg, referred_wijkteam, referred_huisarts, referred_other, no_contact,
    # withdrawn, blocked: set when the case is closed or withdrawn
    outcome: str | None = Field(default=None, max_length=24)
    accepted_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    first_contact_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # An urgent case without a VP in contact in time: recorded once.
    breached_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # The family's earlier case this one continues ("continue with NAME"); no foreign key:
    # the earlier case may be purged first.
    continues_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # What the parent chose to share with their VP (first name, phone), encrypted.
    sealed_reveal: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())


class OfferRow(SQLModel, table=True):
    """A case offered to one VP: open, then accepted, declined, expired or withdrawn."""

    __tablename__ = "offer"

    id: int | None = Field(default=None, sa_column=_id())
    case_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), nullable=False))
    status: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=_utc())
    answered_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class CaseEventRow(SQLModel, table=True):
    """The case's history: routing reasons, offers, answers. Never a parent's words."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, sa_column=_id())
    case_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    at: datetime = Field(sa_column=_utc())
    kind: str = Field(max_length=32)
    detail: str = Field(default="", max_length=500)


class PersonRow(SQLModel, table=True):
    """A vertrouwenspersoon or coordinator: staff, registered by an invite; found by a keyed
    hash of their Telegram id like parents, their chat sealed."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=16)
    name: str = Field(max_length=80)  # for coordinators; parents see display_name
    display_name: str = Field(max_length=40)
    subject_hash: str = Field(max_length=64, unique=True)
    sealed_chat: str = Field(sa_column=Column(String(512), nullable=False))
    languages: str = Field(default="", max_length=80)
    gender: str = Field(default="", max_length=1)
    topics: str = Field(default="", max_length=200)
    capacity: int = 3
    active: bool = True
    available: bool = True
    last_offer_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    created_at: datetime = Field(sa_column=_utc())
    # The language they chose with /language; empty: the staff default (Dutch).
    language: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})
    # A coordinator's /record in progress: "flow:node:language" their next voice message is for.
    recording: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    recording_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # A VP who may review the translations of their languages in the console.
    reviewer: bool = Field(
        default=False,
        sa_column=Column(Boolean, nullable=False, default=False, server_default=false()),
    )
    # Away (/away DD-MM) until this moment: then they are available again.
    away_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # A professional (role "partner"): the partner organisation they work for (settings).
    partner_id: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})


class InviteRow(SQLModel, table=True):
    """A one-time registration code (only its keyed hash is kept), valid until it expires."""

    __tablename__ = "invite"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    name: str = Field(max_length=80)
    languages: str = Field(default="", max_length=80)
    gender: str = Field(default="", max_length=1)
    topics: str = Field(default="", max_length=200)
    capacity: int = 3
    partner_id: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    expires_at: datetime = Field(sa_column=_utc())
    used_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    created_at: datetime = Field(sa_column=_utc())


class CaseMemberRow(SQLModel, table=True):
    """A second person in a case (duo-coaching), with the parent's consent."""

    __tablename__ = "case_member"

    case_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), primary_key=True))
    added_at: datetime = Field(sa_column=_utc())


class RelayRow(SQLModel, table=True):
    """One copy of a relayed message: who wrote the original (keyed hash, message id in
    their chat) and who got the copy (keyed hash, message id in theirs). Replies and edits
    find their case through it; no content is kept."""

    __tablename__ = "relay"
    __table_args__ = (
        Index("ix_relay_copy", "recipient", "copy_message_id"),
        Index("ix_relay_origin", "origin_owner", "origin_message_id"),
    )

    id: int | None = Field(default=None, sa_column=_id())
    case_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    recipient: str = Field(max_length=64)
    origin_owner: str = Field(max_length=64)
    origin_message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    copy_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(sa_column=_utc())
    sent_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class HeldMessageRow(SQLModel, table=True):
    """A message waiting to be relayed: until its writer says which case it is for, or
    (case_id set) until a VP accepts the case. The content is sealed."""

    __tablename__ = "held_message"

    id: int | None = Field(default=None, sa_column=_id())
    owner: str = Field(max_length=64, index=True)
    case_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    sealed_payload: str = Field(sa_column=Column(Text, nullable=False))
    # Written during a flood: relayed at the allowed pace, oldest first (case_id is None).
    paced: bool = Field(
        default=False,
        sa_column=Column(Boolean, nullable=False, default=False, server_default=false()),
    )
    created_at: datetime = Field(sa_column=_utc())


class CaseNoteRow(SQLModel, table=True):
    """A VP's note on a case, for the VPs on it: its text sealed like other content, erased
    with the case. Coordinators see how many there are, never the text."""

    __tablename__ = "case_note"

    id: int | None = Field(default=None, sa_column=_id())
    case_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), nullable=False))
    sealed_text: str = Field(sa_column=Column(Text, nullable=False))
    written_at: datetime = Field(sa_column=_utc())
    # "note", or "step": a mediation step and its result, written while care stalled
    kind: str = Field(
        default="note", sa_column=Column(String(8), nullable=False, server_default="note")
    )


class CaseMessageRow(SQLModel, table=True):
    """A message relayed on an open case, kept sealed for the life of the case: whoever takes
    the case over reads the conversation so far. Erased with the case (purge, /forget)."""

    __tablename__ = "case_message"

    id: int | None = Field(default=None, sa_column=_id())
    case_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    author_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    sealed_said: str = Field(sa_column=Column(Text, nullable=False))  # None author: the parent
    at: datetime = Field(sa_column=_utc())


class HandoverRow(SQLModel, table=True):
    """A VP hands a case to a named colleague, with a sealed note; the colleague accepts or
    declines."""

    __tablename__ = "handover"

    id: int | None = Field(default=None, sa_column=_id())
    case_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    from_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), nullable=False))
    to_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("person.id"), nullable=True)
    )
    sealed_note: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=16)  # draft, asked, accepted, declined, withdrawn
    created_at: datetime = Field(sa_column=_utc())
    answered_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class CaseProfessionalRow(SQLModel, table=True):
    """A professional of a partner proposed for a case (duo-coaching): asked, then joined on
    the parent's yes (a case member from then on), until the duo ends."""

    __tablename__ = "case_professional"

    id: int | None = Field(default=None, sa_column=_id())
    case_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), nullable=False))
    proposed_by: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), nullable=False))
    asked_at: datetime = Field(sa_column=_utc())
    joined_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # ended: the parent said no or stop, the VP ended it, or the case closed
    ended_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    ended_by: str = Field(default="", max_length=16)  # parent, vp, closed, refused


class ReferralRow(SQLModel, table=True):
    """A case referred to a partner organisation: the case stays open (status "referred") and
    the parent is asked later whether care started. Erased with the case."""

    __tablename__ = "referral"

    id: int | None = Field(default=None, sa_column=_id())
    case_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    partner_id: str = Field(max_length=40)
    referred_at: datetime = Field(sa_column=_utc())
    appointment_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    asked_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    not_yet: int = 0  # "not yet" answers so far; the second opens a mediation
    reached_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    stalled_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    ended_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class MediationRow(SQLModel, table=True):
    """Care stalled after a referral: a task for the case's VP until they close it. Its steps
    are sealed case notes of kind "step"."""

    __tablename__ = "mediation"
    # The open ones (a VP's load, the board) without reading those long closed.
    __table_args__ = (Index("ix_mediation_open", "closed_at", "case_id"),)

    id: int | None = Field(default=None, sa_column=_id())
    case_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    referral_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("referral.id", ondelete="CASCADE"), nullable=False)
    )
    reason: str = Field(max_length=16)  # "stuck", or "not_yet" twice
    opened_at: datetime = Field(sa_column=_utc())
    steps: int = 0
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class ParentBlockRow(SQLModel, table=True):
    """A VP blocked a parent (e.g. abuse): that parent is never routed to them again."""

    __tablename__ = "parent_block"

    parent_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("parent.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), primary_key=True))
    at: datetime = Field(sa_column=_utc())


class CaseAccessRow(SQLModel, table=True):
    """The audit log: every time a VP or coordinator read, wrote or changed a case. Kept
    apart from the case (no foreign key) so it outlives it; it names no parent."""

    __tablename__ = "case_access"
    # The console's roster: when each staff member last touched a case.
    __table_args__ = (Index("ix_case_access_person_at", "person_id", "at"),)

    id: int | None = Field(default=None, sa_column=_id())
    case_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    alias: str = Field(max_length=8)
    person_id: int = Field(sa_column=Column(Integer, nullable=False))
    action: str = Field(max_length=32)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class CaseFiguresRow(SQLModel, table=True):
    """What reports need of cases that were purged, added up per week, language, topic,
    outcome and urgency. No row links to a person or a case."""

    __tablename__ = "case_figures"

    week: str = Field(primary_key=True, max_length=10)  # the Monday, e.g. 2026-11-23
    language: str = Field(primary_key=True, max_length=8)
    topic: str = Field(primary_key=True, max_length=32)
    outcome: str = Field(primary_key=True, max_length=24)
    urgent: bool = Field(primary_key=True)
    cases: int = 0
    accepted: int = 0
    accept_seconds_total: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    accept_seconds_max: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    contacted: int = 0
    contact_seconds_total: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    contact_seconds_max: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    breaches: int = 0


class PartnerFiguresRow(SQLModel, table=True):
    """What became of referrals, per partner and week (of the event): referred, reached
    (the parent got in touch), helped (closed as helped), stalled (a mediation opened),
    mediated (a mediation step recorded). No row links to a person or a case."""

    __tablename__ = "partner_figures"

    week: str = Field(primary_key=True, max_length=10)
    partner_id: str = Field(primary_key=True, max_length=40)
    referrals: int = 0
    reached: int = 0
    helped: int = 0
    stalled: int = 0
    mediated: int = 0


class SatisfactionRow(SQLModel, table=True):
    """Answers to the anonymous satisfaction question, counted per week and language."""

    __tablename__ = "satisfaction"

    week: str = Field(primary_key=True, max_length=10)
    language: str = Field(primary_key=True, max_length=8)
    answer: str = Field(primary_key=True, max_length=16)
    count: int = 0


class VoicePromptRow(SQLModel, table=True):
    """A spoken version of a flow node's texts in one language, recorded by a coordinator
    with /record: a Telegram file reused for every parent who listens. `version` is the flow
    version it was recorded on."""

    __tablename__ = "voice_prompt"

    flow: str = Field(primary_key=True, max_length=32)
    node: str = Field(primary_key=True, max_length=32)
    language: str = Field(primary_key=True, max_length=8)
    file_id: str = Field(max_length=256)
    version: str = Field(max_length=32)
    recorded_by: int
    recorded_at: datetime = Field(sa_column=_utc())


class NodeFiguresRow(SQLModel, table=True):
    """How many conversations entered a flow node and how many stopped there (no input for a
    day), per flow version and week. No row links to a person."""

    __tablename__ = "node_figures"

    version: str = Field(primary_key=True, max_length=32)
    flow: str = Field(primary_key=True, max_length=32)
    node: str = Field(primary_key=True, max_length=32)
    week: str = Field(primary_key=True, max_length=10)
    entered: int = 0
    stopped: int = 0


class ConsoleLinkRow(SQLModel, table=True):
    """A one-time link into the console, sent to a coordinator by the bot: only a keyed hash
    of its code is stored; it works once, until it expires."""

    __tablename__ = "console_link"

    id: int | None = Field(default=None, sa_column=_id())
    code_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), nullable=False))
    expires_at: datetime = Field(sa_column=_utc())
    used_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    created_at: datetime = Field(sa_column=_utc())


class ConsoleSessionRow(SQLModel, table=True):
    """A logged-in browser: the cookie holds a random id, the table a keyed hash of it."""

    __tablename__ = "console_session"

    id: int | None = Field(default=None, sa_column=_id())
    session_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id"), nullable=False, index=True)
    )
    browser: str = Field(default="", max_length=80)  # the browser's own name, to tell them apart
    created_at: datetime = Field(sa_column=_utc())
    seen_at: datetime = Field(sa_column=_utc())
    ended_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class StaffAuditRow(SQLModel, table=True):
    """The audit log's other half (beside case_access): logins and every change a staff
    member made in the console, by their number. Names no parent."""

    __tablename__ = "staff_audit"

    id: int | None = Field(default=None, sa_column=_id())
    person_id: int = Field(sa_column=Column(Integer, nullable=False, index=True))
    action: str = Field(max_length=32)
    target: str = Field(default="", max_length=40)  # a case alias, "vp 3", "invite 5"
    detail: str = Field(default="", max_length=200)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class PublishedRow(SQLModel, table=True):
    """What coordinators change at run time, one row per published version: the settings
    file (kind "settings"), later flows and catalogs. The newest row of a kind and name is
    live in every instance; older rows are the history."""

    __tablename__ = "published"
    __table_args__ = (Index("ix_published_kind_name", "kind", "name", "id"),)

    id: int | None = Field(default=None, sa_column=_id())
    kind: str = Field(max_length=16)
    name: str = Field(default="", max_length=32)  # a flow's name, a catalog's language
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    source: str = Field(max_length=16)  # "files" or "console"
    person_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    published_at: datetime = Field(sa_column=_utc())

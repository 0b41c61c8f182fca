"""The audit log as the console reads it: case accesses (case_access) and staff actions
(staff_audit), filtered, newest first, in one query (UNION ALL) on SQLite and PostgreSQL.

Neither table names a parent: a case access has the case's alias, a staff action its target
("vp 3", an alias) and a short detail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, func, literal, select, union, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select

from storage.tables import CaseAccessRow, StaffAuditRow

ACCESS = CaseAccessRow.__table__.c  # type: ignore[attr-defined]
STAFF = StaffAuditRow.__table__.c  # type: ignore[attr-defined]
CASE_KIND = "case"
STAFF_KIND = "staff"


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    person_id: int
    kind: str  # "case": a case was read or changed; "staff": a login or a console change
    action: str
    target: str  # the case's alias, or what the staff action was about ("vp 3")
    detail: str  # always empty for a case access


@dataclass(frozen=True)
class AuditFilter:
    """Which entries: each field left None does not filter. `alias` is matched without
    regard to case, against a staff action's target too; `since` is inclusive, `until`
    exclusive."""

    person: int | None = None
    alias: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def entries(
        self,
        person: int | None = None,
        alias: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 500,
    ) -> list[AuditEntry]:
        """Both tables' rows that match, newest first, at most `limit`."""
        wanted = AuditFilter(person, alias, action, since, until)
        both = union_all(_case_rows(wanted), _staff_rows(wanted)).subquery("audit")
        rows = await self._session.execute(
            select(both)
            .order_by(both.c.at.desc(), both.c.kind, both.c.id.desc())
            .limit(max(0, limit))
        )
        return [
            AuditEntry(
                at=row.at,
                person_id=int(row.person_id),
                kind=str(row.kind),
                action=str(row.action),
                target=str(row.target or ""),
                detail=str(row.detail or ""),
            )
            for row in rows
        ]

    async def actions(self) -> list[str]:
        """Every action in the log once, in order: the choices of the console's filter."""
        both = union(select(ACCESS.action.label("action")), select(STAFF.action)).subquery()
        rows = await self._session.execute(select(both.c.action).order_by(both.c.action))
        return [str(action) for action in rows.scalars()]


def _case_rows(wanted: AuditFilter) -> Select[tuple[object, ...]]:
    query = select(
        ACCESS.id.label("id"),
        ACCESS.at.label("at"),
        ACCESS.person_id.label("person_id"),
        literal(CASE_KIND, String).label("kind"),
        ACCESS.action.label("action"),
        ACCESS.alias.label("target"),
        literal("", String).label("detail"),
    )
    return _filtered(query, wanted, ACCESS.person_id, ACCESS.alias, ACCESS.action, ACCESS.at)


def _staff_rows(wanted: AuditFilter) -> Select[tuple[object, ...]]:
    query = select(
        STAFF.id,
        STAFF.at,
        STAFF.person_id,
        literal(STAFF_KIND, String),
        STAFF.action,
        STAFF.target,
        STAFF.detail,
    )
    return _filtered(query, wanted, STAFF.person_id, STAFF.target, STAFF.action, STAFF.at)


def _filtered(
    query: Select[tuple[object, ...]],
    wanted: AuditFilter,
    person: ColumnElement[int],
    target: ColumnElement[str],
    action: ColumnElement[str],
    at: ColumnElement[datetime],
) -> Select[tuple[object, ...]]:
    """The same filter on either half of the log, given its columns."""
    if wanted.person is not None:
        query = query.where(person == wanted.person)
    if wanted.alias is not None:
        query = query.where(func.upper(target) == wanted.alias.upper())
    if wanted.action is not None:
        query = query.where(action == wanted.action)
    if wanted.since is not None:
        query = query.where(at >= wanted.since)
    if wanted.until is not None:
        query = query.where(at < wanted.until)
    return query

"""The audit log as the console reads it: case accesses (case_access) and staff actions
(staff_audit), filtered, newest first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

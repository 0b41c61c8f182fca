"""Reading what a statement did."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import CursorResult, Result


def affected_rows(result: Result[Any]) -> int:
    """Rows changed by an UPDATE or DELETE (their results are cursor results)."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount)

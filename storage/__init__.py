"""Storage: tables, repositories and the unit of work. Knows nothing of Telegram."""

from storage.database import Database, DatabaseUnavailable
from storage.records import Parent
from storage.unit_of_work import UnitOfWork

__all__ = ["Database", "DatabaseUnavailable", "Parent", "UnitOfWork"]

"""The audit log as the console reads it: both tables in one list, newest first, filtered,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import Database
from storage.audit import AuditEntry
from storage.records import Case

T0 = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)


def _case(case_id: int, alias: str) -> Case:
    # case_access has no foreign key: the log outlives the case, so no case row is needed
    return Case(
        id=case_id,
        alias=alias,
        parent_id=1,
        topic="school",
        language="ar",
        urgent=False,
        gender_pref="",
        sealed_answers="",
        status="waiting",
        vp_id=None,
        created_at=T0,
    )


async def _fill(database: Database) -> None:
    k7f2, m3qa = _case(11, "K7F2"), _case(12, "M3QA")
    async with database.transaction() as uow:
        await uow.console.audit(1, "login", "", "Firefox", T0)
        await uow.cases.accessed(k7f2, 1, "history", T0 + timedelta(minutes=1))
        await uow.cases.accessed(k7f2, 5, "read", T0 + timedelta(minutes=2))
        await uow.console.audit(1, "reassign", "K7F2", "to vp 6", T0 + timedelta(minutes=3))
        await uow.cases.accessed(m3qa, 6, "read", T0 + timedelta(days=1))
        await uow.console.audit(1, "edit vp", "vp 6", "capacity", T0 + timedelta(days=2))


async def test_both_tables_in_one_list_newest_first(database: Database) -> None:
    await _fill(database)
    async with database.transaction() as uow:
        entries = await uow.audit.entries()
    assert [(e.kind, e.action, e.target) for e in entries] == [
        ("staff", "edit vp", "vp 6"),
        ("case", "read", "M3QA"),
        ("staff", "reassign", "K7F2"),
        ("case", "read", "K7F2"),
        ("case", "history", "K7F2"),
        ("staff", "login", ""),
    ]
    assert entries[0] == AuditEntry(
        T0 + timedelta(days=2), 1, "staff", "edit vp", "vp 6", "capacity"
    )
    assert entries[-1].detail == "Firefox"
    assert all(e.detail == "" for e in entries if e.kind == "case")
    assert entries[1].at == T0 + timedelta(days=1) and entries[1].at.tzinfo is not None


async def test_filters(database: Database) -> None:
    await _fill(database)
    async with database.transaction() as uow:
        by_person = await uow.audit.entries(person=1)
        by_alias = await uow.audit.entries(alias="k7f2")
        by_target = await uow.audit.entries(alias="VP 6")
        by_action = await uow.audit.entries(action="read")
        by_partial_action = await uow.audit.entries(action="rea")
        both = await uow.audit.entries(person=5, alias="K7F2")
        window = await uow.audit.entries(
            since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3)
        )
        nothing = await uow.audit.entries(person=99)
        newest_two = await uow.audit.entries(limit=2)
    assert {e.person_id for e in by_person} == {1} and len(by_person) == 4
    assert [(e.kind, e.action) for e in by_alias] == [
        ("staff", "reassign"),
        ("case", "read"),
        ("case", "history"),
    ]
    assert [e.action for e in by_target] == ["edit vp"]
    assert [e.target for e in by_action] == ["M3QA", "K7F2"]
    assert by_partial_action == []  # exact, not a prefix
    assert [(e.person_id, e.action) for e in both] == [(5, "read")]
    # since inclusive, until exclusive
    assert [e.at for e in window] == [T0 + timedelta(minutes=2), T0 + timedelta(minutes=1)]
    assert nothing == []
    assert [e.action for e in newest_two] == ["edit vp", "read"]


async def test_the_actions_for_the_filter(database: Database) -> None:
    async with database.transaction() as uow:
        assert await uow.audit.actions() == []
    await _fill(database)
    async with database.transaction() as uow:
        actions = await uow.audit.actions()
    assert actions == ["edit vp", "history", "login", "read", "reassign"]


async def test_a_day_in_another_time_zone(database: Database) -> None:
    """Bounds given in local time select by the instant, not by the wall clock."""
    from zoneinfo import ZoneInfo

    amsterdam = ZoneInfo("Europe/Amsterdam")
    async with database.transaction() as uow:
        await uow.console.audit(2, "login", "", "", datetime(2026, 3, 28, 22, 30, tzinfo=UTC))
        await uow.console.audit(2, "logout", "", "", datetime(2026, 3, 29, 23, 30, tzinfo=UTC))
    async with database.transaction() as uow:
        day = await uow.audit.entries(
            since=datetime(2026, 3, 29, tzinfo=amsterdam),
            until=datetime(2026, 3, 30, tzinfo=amsterdam),
        )
    # 22:30 UTC on the 28th is 23:30 on the 28th in Amsterdam (winter time): outside;
    # 23:30 UTC on the 29th is 01:30 on the 30th (summer time since that night): outside too
    assert day == []
    async with database.transaction() as uow:
        day = await uow.audit.entries(
            since=datetime(2026, 3, 28, tzinfo=amsterdam),
            until=datetime(2026, 3, 29, tzinfo=amsterdam),
        )
    assert [e.action for e in day] == ["login"]

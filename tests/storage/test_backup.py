"""storage/backup.py: where pg_dump connects, and the files it refuses, each in one line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storage.backup import BackupError, backup, libpq_environment, restore

URL = "postgresql+asyncpg://tussenin:pa55-w0rd@db.internal:5433/bot?ssl=require"


def test_the_url_becomes_libpq_environment() -> None:
    assert libpq_environment(URL) == {
        "PGHOST": "db.internal",
        "PGPORT": "5433",
        "PGUSER": "tussenin",
        "PGPASSWORD": "pa55-w0rd",
        "PGDATABASE": "bot",
        "PGSSLMODE": "require",
    }
    socket = libpq_environment("postgresql+asyncpg://bot@/bot?host=/run/postgresql")
    assert socket["PGHOST"] == "/run/postgresql" and "PGPASSWORD" not in socket


async def test_the_password_is_never_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in pg_dump writes down its arguments and the password it was given."""
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text(
        '#!/bin/sh\nprintf "%s\\n" "$@" > "$(dirname "$0")/argv"\n'
        'printf "%s" "$PGPASSWORD" > "$(dirname "$0")/password"\n'
        'for a in "$@"; do case "$a" in --file=*) echo PGDMP > "${a#--file=}";; esac; done\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    await backup(URL, tmp_path / "bot.dump")
    argv = (fake.parent / "argv").read_text()
    assert "pa55-w0rd" not in argv and "--format=custom" in argv
    assert (fake.parent / "password").read_text() == "pa55-w0rd"
    assert (tmp_path / "bot.dump").read_bytes() == b"PGDMP\n"
    assert stat.S_IMODE((tmp_path / "bot.dump").stat().st_mode) == 0o600
    assert not (tmp_path / "bot.dump.partial").exists()


async def test_a_missing_pg_dump_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match=r"^pg_dump is not installed: install the PostgreSQL"):
        await backup(URL, tmp_path / "bot.dump")
    assert not (tmp_path / "bot.dump.partial").exists()  # nothing left behind


async def test_a_backup_of_the_other_kind_is_refused(tmp_path: Path) -> None:
    dump = tmp_path / "bot.dump"
    dump.write_bytes(b"PGDMP\x01\x0e")
    target = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    with pytest.raises(BackupError, match="is a PostgreSQL backup, but DATABASE_URL points at"):
        await restore(target, dump)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(BackupError, match="is not a backup made by `python -m bot backup`"):
        await restore(target, tmp_path / "notes.txt")
    assert not (tmp_path / "bot.db").exists()

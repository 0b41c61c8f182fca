"""The coordinator's settings file: defaults valid, each mistake named by line, last good kept."""

from __future__ import annotations

import shutil
from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.services.coordinator_settings import SettingsFile, SettingsFileError, parse_settings
from bot.settings import DEFAULT_FLOWS_DIR

SHIPPED = (DEFAULT_FLOWS_DIR / "settings.yaml").read_text(encoding="utf-8")


def test_the_shipped_file_is_valid() -> None:
    settings = parse_settings(SHIPPED, Path("settings.yaml"))
    assert settings.languages == ["nl", "en", "ar", "tr", "pl", "uk", "so", "ti", "rif"]
    assert settings.retention.closed_cases == timedelta(days=90)
    assert settings.quiet_hours.start == time(21) and settings.quiet_hours.end == time(8)


def test_quiet_hours_across_midnight() -> None:
    quiet = parse_settings(SHIPPED, Path("s")).quiet_hours
    assert quiet.contains(time(22, 30)) and quiet.contains(time(7, 59))
    assert not quiet.contains(time(8, 0)) and not quiet.contains(time(20, 59))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("closed_cases: 90d", "closed_cases: 90", "(retention.closed_cases): write a duration"),
        ("[nl, en, ar, tr, pl, uk, so, ti, rif]", "[nl, xx]", "(languages): no catalog for xx"),
        ('start: "21:00"', 'start: "25:00"', "(quiet_hours.start):"),
        ("  email:", "  emial:", "(organisation.emial): Extra inputs are not permitted"),
        ("version: 1", "version: 2", "(version):"),
        ("[nl, en, ar, tr, pl, uk, so, ti, rif]", "[nl,, en", ": not valid YAML"),
    ],
)
def test_each_mistake_is_named_by_its_line(old: str, new: str, expected: str) -> None:
    assert old in SHIPPED
    broken = SHIPPED.replace(old, new)
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if new.strip() in text)
    with pytest.raises(SettingsFileError) as caught:
        parse_settings(broken, Path("settings.yaml"))
    expected = f"line {line} {expected}".replace(" :", ":")
    assert any(problem.startswith(expected) for problem in caught.value.problems), caught.value


def test_reload_keeps_the_last_good_settings(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_FLOWS_DIR / "settings.yaml", tmp_path / "settings.yaml")
    file = SettingsFile(tmp_path)
    path = tmp_path / "settings.yaml"
    path.write_text(SHIPPED.replace("closed_cases: 90d", "closed_cases: soon"), encoding="utf-8")
    problems = file.reload()
    assert problems and "retention.closed_cases" in problems[0]
    assert file.current.retention.closed_cases == timedelta(days=90)
    path.write_text(SHIPPED.replace("closed_cases: 90d", "closed_cases: 60d"), encoding="utf-8")
    assert file.reload() == [] and file.current.retention.closed_cases == timedelta(days=60)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsFileError, match="file not found"):
        SettingsFile(tmp_path)


def test_a_preferred_gender_per_topic() -> None:
    assert parse_settings(SHIPPED, Path("s")).matching.preferred_gender == {}
    chosen = SHIPPED.replace("  preferred_gender: {}\n", "  preferred_gender: {safety: f}\n")
    assert parse_settings(chosen, Path("s")).matching.preferred_gender == {"safety": "f"}


@pytest.mark.parametrize(
    ("value", "field", "expected"),
    [
        ("{violence: f}", "matching.preferred_gender", "no topic violence; choose from parenting"),
        ("{safety: x}", "matching.preferred_gender.safety", "Input should be 'f' or 'm'"),
        ("{safety: woman}", "matching.preferred_gender.safety", "Input should be 'f' or 'm'"),
    ],
)
def test_a_wrong_preferred_gender_is_named(value: str, field: str, expected: str) -> None:
    broken = SHIPPED.replace("  preferred_gender: {}\n", f"  preferred_gender: {value}\n")
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if value in text)
    with pytest.raises(SettingsFileError) as caught:
        parse_settings(broken, Path("settings.yaml"))
    assert f"line {line} ({field}): {expected}" in str(caught.value.problems), caught.value
